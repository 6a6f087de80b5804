"""Calling the networks of a conditional or unconditional GAN."""


def call_network(network, inputs, labels=None, training=False):
    """Calls a generator or discriminator, with the labels if any.

    A conditional network takes `[inputs, labels]` (latent vectors or
    images, then the class labels); an unconditional one, `inputs` alone.

    Args:
        network (keras.Model): The generator or discriminator.
        inputs (Tensor): Latent vectors for a generator, images for a
            discriminator.
        labels (Tensor | None): The class labels of a conditional GAN, or
            None.
        training (bool): Passed on to the network.

    Returns:
        Tensor: The network's output.
    """
    if labels is None:
        return network(inputs, training=training)
    return network([inputs, labels], training=training)
