"""Exporting a trained generator: a TensorFlow SavedModel, or an ONNX
file."""

from keras_gan_losses.export.onnx import export_generator_onnx
from keras_gan_losses.export.saved_model import export_generator

__all__ = ["export_generator", "export_generator_onnx"]
