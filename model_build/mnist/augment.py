"""Training-time distortions of MNIST batches, in TensorFlow ops so they run inside tf.data.

Randomness is *stateless*: every draw is a function of (seed, batch number), so a rerun of the
same recipe draws the same distortions and trains to the same bytes.
"""

from __future__ import annotations

import math

import tensorflow as tf

from .config import AugmentationConfig

_CENTRE = 13.5  # pixel centres of a 28-wide image run 0..27


def augment_batch(images: tf.Tensor, seed: tf.Tensor, config: AugmentationConfig) -> tf.Tensor:
    """Distort a float batch (B, 28, 28, 1) in [0, 1]: rotate, scale, shift, thicken or thin.

    `seed` is a shape-[2] int64 tensor unique to this batch.
    """
    batch = tf.shape(images)[0]

    def uniform(stream: int, low: float, high: float, shape=None) -> tf.Tensor:
        stream_seed = tf.random.experimental.stateless_fold_in(seed, stream)
        return tf.random.stateless_uniform(shape if shape is not None else [batch], stream_seed, low, high)

    max_angle = math.radians(config.max_rotation_degrees)
    angle = uniform(1, -max_angle, max_angle)
    scale = uniform(2, *config.scale_range)
    shift_x = uniform(3, -config.max_shift_pixels, config.max_shift_pixels)
    shift_y = uniform(4, -config.max_shift_pixels, config.max_shift_pixels)

    # ImageProjectiveTransform maps each *output* pixel to an input position, so we give it the
    # inverse of "scale and rotate about the centre, then shift".
    cos = tf.cos(angle) / scale
    sin = tf.sin(angle) / scale
    out_x = _CENTRE + shift_x
    out_y = _CENTRE + shift_y
    zeros = tf.zeros_like(cos)
    transforms = tf.stack(
        [cos, sin, _CENTRE - cos * out_x - sin * out_y, -sin, cos, _CENTRE + sin * out_x - cos * out_y, zeros, zeros],
        axis=1,
    )
    warped = tf.raw_ops.ImageProjectiveTransformV3(
        images=images,
        transforms=transforms,
        output_shape=[28, 28],
        fill_value=0.0,
        interpolation="BILINEAR",
        fill_mode="CONSTANT",
    )

    # Stroke width: blend towards a 3×3 dilation (thicker) or a 2×2 erosion (thinner).
    amount = uniform(5, -config.max_thin, config.max_thicken, shape=[batch, 1, 1, 1])
    thicker = tf.nn.max_pool2d(warped, 3, 1, "SAME")
    thinner = -tf.nn.max_pool2d(-warped, 2, 1, "SAME")
    return tf.where(amount > 0, warped + amount * (thicker - warped), warped - amount * (thinner - warped))
