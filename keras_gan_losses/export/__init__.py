"""Exporting a trained generator as a TensorFlow SavedModel."""

from keras_gan_losses.export.saved_model import export_generator

__all__ = ["export_generator"]
