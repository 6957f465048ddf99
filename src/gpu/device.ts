// Finds a WebGPU adapter and device through the platform (src/platform.ts): navigator.gpu in the
// browser, Dawn's `webgpu` package in Node (installed by gengpu's Node entry), so the same code runs
// everywhere.

import { platform } from '../platform.js';

/** The adapter and device that a Runtime runs on, with the adapter's description for messages. */
export interface AcquiredDevice {
  /** The adapter the device came from. */
  adapter: GPUAdapter;
  /** The device every buffer and pipeline belongs to. */
  device: GPUDevice;
  /** Who made the adapter, as WebGPU's GPUAdapterInfo says (empty strings where it says nothing). */
  adapterInfo: {
    /** The vendor, e.g. 'nvidia', 'apple', or 'google' for SwiftShader. */
    vendor: string;
    /** The GPU family, e.g. 'ampere', or 'swiftshader' for the software adapter. */
    architecture: string;
    /** A human-readable name of the adapter, where the browser reveals one. */
    description: string;
    /** True for a software or otherwise limited adapter (SwiftShader is one). */
    isFallbackAdapter: boolean;
  };
}

/** Features we use when the adapter has them; none is required. */
const optionalFeatures: GPUFeatureName[] = ['timestamp-query', 'subgroups' as GPUFeatureName];

/**
 * Requests an adapter from the platform and a device with the adapter's full limits and whichever optional
 * features (timestamps, subgroups) it has; throws the platform's help text when there is no adapter.
 */
export async function acquireDevice(powerPreference: GPUPowerPreference = 'high-performance'): Promise<AcquiredDevice> {
  const host = platform();
  const adapter = await host.requestAdapter(powerPreference);
  if (!adapter) throw new Error(host.noAdapterHelp);

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
