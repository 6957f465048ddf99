// Finds a WebGPU adapter and device: navigator.gpu in the browser, Dawn's `webgpu` package in Node.
// On a Linux box without a GPU, Node falls back to the SwiftShader Vulkan driver that ships inside
// Debian's chromium package, so the same code runs everywhere, only slower.

/// <reference types="@webgpu/types" />

export interface AcquiredDevice {
  adapter: GPUAdapter;
  device: GPUDevice;
  adapterInfo: { vendor: string; architecture: string; description: string; isFallbackAdapter: boolean };
}

/** Where Debian's chromium puts SwiftShader's Vulkan ICD (a CPU implementation of Vulkan). */
const swiftShaderIcdCandidates = [
  '/usr/lib/chromium/vk_swiftshader_icd.json',
  '/usr/lib/chromium-browser/vk_swiftshader_icd.json',
];

const noWebGpuHelp = `No WebGPU adapter was found.
  In a browser: use a recent Chrome/Edge (or Chromium with --enable-unsafe-webgpu), served from https or localhost.
  In Node: the 'webgpu' package needs a Vulkan driver. On a machine without a GPU (Debian/Ubuntu):
      apt-get install -y chromium libvulkan1
  gengpu then uses Chromium's SwiftShader driver automatically (or set VK_ICD_FILENAMES to a Vulkan ICD json).`;

function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string';
}

/**
 * Dawn's GPU instances, held for the life of the process: if one is garbage-collected, Dawn tears
 * the instance down under its live device and the process aborts.
 */
const dawnInstances: GPU[] = [];

async function nodeAdapter(powerPreference: GPUPowerPreference): Promise<GPUAdapter | null> {
  const moduleName = 'webgpu'; // kept in a variable so browser bundlers leave this import alone
  let webgpu: { create: (flags: string[]) => GPU; globals: Record<string, unknown> };
  try {
    webgpu = await import(/* @vite-ignore */ moduleName);
  } catch (e) {
    throw new Error(`${noWebGpuHelp}\n  (importing the 'webgpu' package failed: ${(e as Error).message})`);
  }
  Object.assign(globalThis, webgpu.globals); // GPUBufferUsage, GPUShaderStage, ... as in a browser
  const instance = (): GPU => {
    const gpu = webgpu.create([]);
    dawnInstances.push(gpu);
    return gpu;
  };
  const { existsSync } = await import('node:fs');
  // Without a GPU device node, Vulkan's other drivers are CPU ones Dawn refuses: go straight to SwiftShader.
  const hasGpuNode = ['/dev/dri', '/dev/nvidiactl', '/dev/dxg'].some((p) => existsSync(p));
  const icd = swiftShaderIcdCandidates.find((p) => existsSync(p));
  const useSwiftShader = () => {
    process.env.VK_ICD_FILENAMES = icd; // read by the Vulkan loader when the next instance is made
  };
  if (!process.env.VK_ICD_FILENAMES && !hasGpuNode && icd) useSwiftShader();
  const adapter = await instance().requestAdapter({ powerPreference });
  if (adapter || process.env.VK_ICD_FILENAMES || !icd) return adapter;
  useSwiftShader();
  return instance().requestAdapter({ powerPreference });
}

/** Features we use when the adapter has them; none is required. */
const optionalFeatures: GPUFeatureName[] = ['timestamp-query', 'subgroups' as GPUFeatureName];

export async function acquireDevice(powerPreference: GPUPowerPreference = 'high-performance'): Promise<AcquiredDevice> {
  let adapter: GPUAdapter | null;
  if (typeof navigator !== 'undefined' && navigator.gpu) {
    adapter = await navigator.gpu.requestAdapter({ powerPreference });
  } else if (isNode()) {
    adapter = await nodeAdapter(powerPreference);
  } else {
    throw new Error(noWebGpuHelp);
  }
  if (!adapter) throw new Error(noWebGpuHelp);

  const l = adapter.limits;
  const device = await adapter.requestDevice({
    requiredFeatures: optionalFeatures.filter((f) => adapter.features.has(f)),
    requiredLimits: {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      maxComputeWorkgroupSizeY: l.maxComputeWorkgroupSizeY,
    },
  });
  const info = adapter.info ?? ({} as GPUAdapterInfo);
  return {
    adapter,
    device,
    adapterInfo: {
      vendor: info.vendor ?? '',
      architecture: info.architecture ?? '',
      description: info.description ?? '',
      isFallbackAdapter: Boolean((info as { isFallbackAdapter?: boolean }).isFallbackAdapter),
    },
  };
}
