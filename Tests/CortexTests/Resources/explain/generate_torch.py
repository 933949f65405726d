"""PyTorch references for Cortex's attributions: the demo CNN (CortexModels' SmallConvNet: two blocks of 3×3
convolution, BatchNorm, ReLU and 2×2 max pooling, then dropout and a linear classifier) in evaluation mode,
with random weights and running statistics, and for four images and target classes: the logits, the input
gradient of each image's target logit (what saliency and gradient × input are made of), and Grad-CAM (also
resized to 28×28 as F.interpolate(bilinear) does) and HiResCAM at the second block's ReLU. The weights and
images are float32; the references are computed from them in float64.
Run with a PyTorch venv outside the repository:
    /opt/torch-venv/bin/python generate_torch.py   # writes explain_reference.safetensors"""
import torch
import torch.nn as nn
from safetensors.torch import save_file

torch.manual_seed(20261130)
width = 32
features = nn.Sequential(nn.Conv2d(1, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(width, 2 * width, 3, padding=1), nn.BatchNorm2d(2 * width), nn.ReLU(), nn.MaxPool2d(2))
classifier = nn.Sequential(nn.Flatten(), nn.Dropout(0.25), nn.Linear(2 * width * 7 * 7, 10))
for norm in (features[1], features[5]):
    norm.running_mean.copy_(torch.randn_like(norm.running_mean) * 0.1)
    norm.running_var.copy_(torch.rand_like(norm.running_var) + 0.5)
    norm.weight.data.copy_(1 + 0.2 * torch.randn_like(norm.weight))
    norm.bias.data.copy_(0.1 * torch.randn_like(norm.bias))
state = {f"features.{k}": v for k, v in features.state_dict().items()}
state.update({f"classifier.{k}": v for k, v in classifier.state_dict().items()})
state = {k: v.float().contiguous() for k, v in state.items() if not k.endswith("num_batches_tracked")}
images = torch.rand(4, 1, 28, 28)
targets = torch.tensor([0, 3, 7, 9])

features.double().eval()
classifier.double().eval()
x = images.double().requires_grad_()
logits = classifier(features(x))
logits.gather(1, targets[:, None]).sum().backward()

# Grad-CAM at features.6 (the second ReLU, 64 × 14 × 14).
maps = features[:7](images.double()).detach().requires_grad_()
head = nn.Sequential(features[7], classifier)
head(maps).gather(1, targets[:, None]).sum().backward()
cam = torch.relu((maps * maps.grad.mean(dim=(2, 3), keepdim=True)).sum(1))
hires = torch.relu((maps * maps.grad).sum(1))

cam28 = torch.nn.functional.interpolate(cam.detach()[:, None], size=(28, 28), mode="bilinear", align_corners=False)[:, 0]

state.update({"images": images, "targets": targets.float(), "logits": logits.detach().float(),
              "input_gradient": x.grad.float(), "grad_cam": cam.detach().float(), "grad_cam_28": cam28.float(),
              "hires_cam": hires.detach().float()})
save_file(state, "explain_reference.safetensors")
