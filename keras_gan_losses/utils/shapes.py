"""Shape helpers shared by the losses, penalties and models."""

from keras import ops


def mean_per_example(values):
    """Averages `values` over every axis but the first (the batch axis).

    A `(batch,)` tensor is returned as is, so `(batch,)`, `(batch, 1)` and
    patch outputs `(batch, h, w, 1)` all give one value per example.
    """
    if len(values.shape) <= 1:
        return values
    return ops.mean(values, axis=tuple(range(1, len(values.shape))))


def check_logits(real_logits, fake_logits):
    """Converts both logits to float tensors and checks their shapes match.

    Raises:
        ValueError: if either is a scalar, or the static shapes differ.
    """
    real_logits = ops.convert_to_tensor(real_logits)
    fake_logits = ops.convert_to_tensor(fake_logits)
    for name, logits in (("real_logits", real_logits),
                         ("fake_logits", fake_logits)):
        if len(logits.shape) == 0:
            raise ValueError(
                f"`{name}` must have a batch axis, with shape (batch,), "
                f"(batch, 1) or (batch, h, w, 1). Received a scalar."
            )
    if not compatible(real_logits.shape, fake_logits.shape):
        raise ValueError(
            "`real_logits` and `fake_logits` must have the same shape. "
            f"Received: real_logits.shape={tuple(real_logits.shape)}, "
            f"fake_logits.shape={tuple(fake_logits.shape)}"
        )
    return real_logits, fake_logits


def compatible(a, b):
    """Whether two static shapes can be the same: equal ranks, and equal
    sizes wherever both are known (`None` matches any size)."""
    if len(a) != len(b):
        return False
    return all(x is None or y is None or x == y for x, y in zip(a, b))
