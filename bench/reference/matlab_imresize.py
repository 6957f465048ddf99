# Reference (not part of the library): MATLAB's imresize(..., 'bicubic'), rgb2ycbcr and the SR
# literature's SSIM rewritten in numpy from MATLAB's algorithms, to check src/models/sr/ against.
# imresize follows MATLAB's imresize.m: contributions() with 1-based coordinates, zero-weight columns
# removed, symmetric padding through aux = [1:n, n:-1:1], dimensions in order of increasing scale.
# SSIM uses the full 2-D 11 x 11 window (fspecial('gaussian', 11, 1.5)) and filter2(..., 'valid').
# Writes tests/fixtures/matlab-imresize.json:
#   python3 bench/reference/matlab_imresize.py
import json, math, pathlib
import numpy as np


def cubic(x):
    absx = np.abs(x)
    absx2 = absx ** 2
    absx3 = absx ** 3
    return (1.5 * absx3 - 2.5 * absx2 + 1) * (absx <= 1) + (-0.5 * absx3 + 2.5 * absx2 - 4 * absx + 2) * ((1 < absx) & (absx <= 2))


def contributions(in_length, out_length, scale, antialiasing=True):
    kernel_width = 4.0
    if scale < 1 and antialiasing:
        h = lambda x: scale * cubic(scale * x)
        kernel_width = kernel_width / scale
    else:
        h = cubic
    x = np.arange(1, out_length + 1, dtype=np.float64)
    u = x / scale + 0.5 * (1 - 1 / scale)
    left = np.floor(u - kernel_width / 2)
    p = int(math.ceil(kernel_width)) + 2
    indices = left[:, None] + np.arange(p)[None, :]
    weights = h(u[:, None] - indices)
    weights = weights / weights.sum(axis=1, keepdims=True)
    aux = np.concatenate([np.arange(1, in_length + 1), np.arange(in_length, 0, -1)])
    indices = aux[np.mod(indices - 1, len(aux)).astype(np.int64)]
    keep = np.any(weights != 0, axis=0)
    return weights[:, keep], indices[:, keep] - 1


def resize_along_dim(a, dim, weights, indices):
    a = np.moveaxis(a, dim, 0)
    out = np.zeros((weights.shape[0],) + a.shape[1:])
    for k in range(weights.shape[0]):
        for j in range(weights.shape[1]):
            out[k] += weights[k, j] * a[indices[k, j]]
    return np.moveaxis(out, 0, dim)


def imresize(a, scale=None, size=None, antialiasing=True):
    if size is None:
        scales = [scale[0], scale[1]]
        size = [int(math.ceil(scales[0] * a.shape[0])), int(math.ceil(scales[1] * a.shape[1]))]
    else:
        scales = [size[0] / a.shape[0], size[1] / a.shape[1]]
    order = sorted(range(2), key=lambda d: scales[d])  # stable: height first on a tie
    for dim in order:
        w, i = contributions(a.shape[dim], size[dim], scales[dim], antialiasing)
        a = resize_along_dim(a, dim, w, i)
    return a


def rgb2y(rgb):
    return 16 + (65.481 * rgb[0] + 128.553 * rgb[1] + 24.966 * rgb[2]) / 255


def filter_valid(img, window):
    k = window.shape[0]
    h, w = img.shape[0] - k + 1, img.shape[1] - k + 1
    out = np.zeros((h, w))
    for dy in range(k):
        for dx in range(k):
            out += window[dy, dx] * img[dy:dy + h, dx:dx + w]
    return out


def ssim(a, b):
    r = np.arange(11) - 5
    window = np.exp(-(r[:, None] ** 2 + r[None, :] ** 2) / (2 * 1.5 ** 2))
    window /= window.sum()
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mu1, mu2 = filter_valid(a, window), filter_valid(b, window)
    s1 = filter_valid(a * a, window) - mu1 ** 2
    s2 = filter_valid(b * b, window) - mu2 ** 2
    s12 = filter_valid(a * b, window) - mu1 * mu2
    return float((((2 * mu1 * mu2 + c1) * (2 * s12 + c2)) / ((mu1 ** 2 + mu2 ** 2 + c1) * (s1 + s2 + c2))).mean())


rng = np.random.default_rng(21)
def write_fixture():
    cases = []
    for (h, w), target in [
        ((13, 17), {'scale': [0.5, 0.5]}),
        ((13, 17), {'scale': [1 / 3, 1 / 3]}),
        ((21, 19), {'scale': [0.25, 0.25]}),
        ((7, 5), {'scale': [2, 2]}),
        ((5, 6), {'scale': [3, 3]}),
        ((4, 3), {'scale': [4, 4]}),
        ((11, 9), {'size': [6, 23]}),
        ((9, 14), {'scale': [0.7, 1.6]}),
        ((3, 2), {'size': [1, 1]}),
        ((2, 8), {'size': [5, 3]}),
    ]:
        plane = rng.uniform(0, 255, size=(h, w))
        out = imresize(plane, scale=target.get('scale'), size=target.get('size'))
        cases.append({'height': h, 'width': w, **target, 'input': plane.ravel().tolist(), 'output': out.ravel().tolist(), 'outHeight': out.shape[0], 'outWidth': out.shape[1]})
    no_aa = rng.uniform(0, 255, size=(12, 10))
    no_aa_out = imresize(no_aa, scale=[0.5, 0.5], antialiasing=False)
    cases.append({'height': 12, 'width': 10, 'scale': [0.5, 0.5], 'antialiasing': False, 'input': no_aa.ravel().tolist(), 'output': no_aa_out.ravel().tolist(), 'outHeight': 6, 'outWidth': 5})

    # The protocol end to end on one small image: HR RGB (uint8), modcrop 3, LR = uint8(imresize(HR, 1/3)),
    # SR = imresize(LR, 3) in double, Y of both, PSNR and SSIM with 3 pixels shaved.
    hr = rng.integers(0, 256, size=(3, 40, 38)).astype(np.float64)
    hr = hr[:, :39, :36]
    lr = np.stack([np.clip(np.floor(imresize(c, scale=[1 / 3, 1 / 3]) + 0.5), 0, 255) for c in hr])
    sr = np.stack([imresize(c, scale=[3, 3]) for c in lr])
    y_hr, y_sr = rgb2y(hr)[3:-3, 3:-3], rgb2y(sr)[3:-3, 3:-3]
    mse = float(np.mean((y_hr - y_sr) ** 2))
    protocol = {
        'height': 39, 'width': 36, 'hr': hr.ravel().tolist(), 'lr': lr.ravel().tolist(),
        'psnr': 10 * math.log10(255 ** 2 / mse), 'ssim': ssim(y_hr, y_sr),
    }

    out = pathlib.Path(__file__).resolve().parents[2] / 'tests' / 'fixtures' / 'matlab-imresize.json'
    out.write_text(json.dumps({'imresize': cases, 'protocol': protocol}) + '\n')
    print(f'wrote {out}: {len(cases)} resize cases, protocol PSNR {protocol["psnr"]:.6f} dB, SSIM {protocol["ssim"]:.6f}')


if __name__ == '__main__':
    write_fixture()
