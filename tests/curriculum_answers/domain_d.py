"""Domain D: computer vision."""

import math

import numpy as np


def softmax(z):
    z = np.asarray(z, float)
    e = np.exp(z - z.max())
    return e / e.sum()


def conv_out(n, k, s=1, p=0):
    return (n + 2 * p - k) // s + 1


def conv_transpose_out(n, k, s=1, p=0, output_padding=0, dilation=1):
    """PyTorch ConvTranspose2d: (n - 1)s - 2p + dilation(k - 1) + output_padding + 1."""
    return (n - 1) * s - 2 * p + dilation * (k - 1) + output_padding + 1


def box_area(b):
    x1, y1, x2, y2 = b
    return max(0, x2 - x1) * max(0, y2 - y1)


def iou(a, b):
    inter = box_area((max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])))
    return inter / (box_area(a) + box_area(b) - inter)


def nms(boxes, scores, threshold):
    order = list(np.argsort(scores)[::-1])
    keep = []
    while order:
        best = order.pop(0)
        keep.append(best)
        order = [i for i in order if iou(boxes[best], boxes[i]) <= threshold]
    return keep


def resnet18_params(num_classes=1000):
    """Count torchvision's ResNet-18 (convs without bias, BN with weight+bias) from its layout."""

    def conv(k, c_in, c_out):
        return k * k * c_in * c_out

    def bn(c):
        return 2 * c

    def basic_block(c_in, c_out, downsample):
        n = conv(3, c_in, c_out) + bn(c_out) + conv(3, c_out, c_out) + bn(c_out)
        if downsample:
            n += conv(1, c_in, c_out) + bn(c_out)
        return n

    total = conv(7, 3, 64) + bn(64)
    c_in = 64
    for c_out in (64, 128, 256, 512):
        total += basic_block(c_in, c_out, downsample=c_in != c_out)
        total += basic_block(c_out, c_out, downsample=False)
        c_in = c_out
    return total + 512 * num_classes + num_classes


def crop_offsets(image, crop):
    """Enumerate the integer top-left offsets at which a crop fits inside the image (one axis)."""
    return [o for o in range(image) if o + crop <= image]


def mask_iou(pred_pixels, true_pixels, n_pixels):
    pred = np.zeros(n_pixels, bool)
    true = np.zeros(n_pixels, bool)
    pred[list(pred_pixels)] = True
    true[list(true_pixels)] = True
    return np.logical_and(pred, true).sum() / np.logical_or(pred, true).sum()


def gram(features):
    f = np.asarray(features, float)
    return f @ f.T


ANSWERS = {
    # D1 image classification
    "image-classification/initial-loss": lambda: -np.log(softmax(np.zeros(10))[0]),
    "image-classification/cifar-input-dims": lambda: 32 * 32 * 3,
    "image-classification/mnist-normalised-white": lambda: (255 / 255 - 0.1307) / 0.3081,
    "image-classification/ce-true-class": lambda: -math.log(0.7),
    "image-classification/softmax-logits": lambda: -np.log(softmax([3, 1, 0])[0]),
    # D2 data augmentation
    "data-augmentation/cifar-crop-variants": lambda: len(
        [(r, c, flip) for r in crop_offsets(32 + 2 * 4, 32) for c in crop_offsets(32 + 2 * 4, 32) for flip in (0, 1)]
    ),
    "data-augmentation/random-crop-positions": lambda: len(crop_offsets(256, 224)) ** 2,
    "data-augmentation/mixup-pixel": lambda: 0.6 * 200 + (1 - 0.6) * 50,
    "data-augmentation/mixup-label": lambda: (0.75 * np.eye(10)[2] + (1 - 0.75) * np.eye(10)[5])[5],
    # D3 transfer learning
    "transfer-learning/head-params-10": lambda: 512 * 10 + 10,
    "transfer-learning/resnet50-head": lambda: 2048 * 5 + 5,
    "transfer-learning/resnet18-total-after-swap": lambda: resnet18_params(num_classes=2),
    "transfer-learning/imagenet-normalise": lambda: (0.5 - 0.485) / 0.229,
    # D4 object detection
    "object-detection/iou-value": lambda: iou((1, 1, 5, 5), (3, 2, 7, 6)),
    "object-detection/iou-contained": lambda: iou((0, 0, 4, 4), (0, 0, 4, 8)),
    "object-detection/nms-kept": lambda: len(
        nms(
            [(0, 0, 10, 10), (1, 1, 11, 11), (20, 20, 30, 30), (5, 5, 15, 15)],
            np.array([0.9, 0.8, 0.7, 0.6]),
            0.5,
        )
    ),
    "object-detection/yolo-output-size": lambda: 7 * 7 * (5 * 2 + 80),
    "object-detection/anchor-count": lambda: 40 * 60 * 3 * 3,
    # D5 segmentation
    "segmentation/transposed-output-size": lambda: conv_transpose_out(7, 3, s=2, p=1),
    "segmentation/fcn-final-upsample": lambda: conv_transpose_out(10, 64, s=32, p=16),
    "segmentation/unet-valid-convs": lambda: conv_out(conv_out(572, 3), 3),
    "segmentation/logit-count": lambda: (20 + 1) * 320 * 480,
    # predicted mask = pixels 0..299, true mask = pixels 100..499: 200 pixels in both
    "segmentation/mean-iou": lambda: mask_iou(range(0, 300), range(100, 500), 1000),
    # D6 style transfer
    "style-transfer/gram-entry": lambda: gram([[1, 0, 2], [3, 1, 1]])[0, 1],
    "style-transfer/gram-size": lambda: gram(np.ones((256, 56 * 56))).size,
    "style-transfer/content-loss": lambda: 0.5 * np.sum((np.array([1, 2, 3]) - np.array([1, 0, 0])) ** 2),
    # G = [[5, 5], [5, 11]] is the Gram matrix of the features in style-transfer/gram-entry.
    "style-transfer/style-layer-loss": lambda: np.sum((gram([[1, 0, 2], [3, 1, 1]]) - np.array([[4, 5], [5, 9]])) ** 2) / (4 * 2**2 * 3**2),
}

NOT_COMPUTABLE: dict[str, str] = {}
