"""Loss presets: the loss pair, penalties, optimisers and discriminator
steps that suit each GAN objective, as used by the CLI and the benchmarks.

They are common set-ups for each loss, scaled to small images, not always
those of the paper that introduced it: DCGAN's Adam(2e-4, β₁=0.5) for the
cross-entropy, least-squares and hinge families (so the `minimax` preset
uses DCGAN's Adam, not the SGD with momentum of Goodfellow et al. 2014),
WGAN-GP's Adam(1e-4, β₁=0, β₂=0.9) with 3 critic steps (the paper uses
5). The `non_saturating_lecam` preset, `kgl train`'s default, adds Tseng
et al. 2021's LeCam regulariser (`LeCamPenalty(0.3)`) to the DCGAN set-up:
on the 10,000 digits of `kgl train`'s default data it kept conditional
GANs from collapsing onto a few shapes per class (see the demo-budget
benchmark in `benchmarks/RESULTS.md`).

The `mmd` preset is Bińkowski et al. 2018's MMD GAN: a critic with 16
output features (`dcgan(..., outputs=16)`), the unbiased MMD² with their
rational-quadratic kernel mixture, and their gradient penalty on the
witness function (`WitnessGradientPenalty`, weight 1), with 3 critic
steps and Adam(2e-4, β₁=0.5, β₂=0.9). That is twice the paper's 1e-4,
with which it reached an MNIST-feature FID of 141 on MNIST after 1500
generator steps, against 121 with 2e-4 (seed 0 each).

In the quality benchmark (`benchmarks/quality.py`: MNIST, DCGAN width
64, 1500 generator steps, three seeds) every preset's mean FID is within
1.42 times the best one's (`non_saturating_lecam`, 81.1).

The `hinge` preset does not use SN-GAN's and SAGAN's set-up (a spectrally
normalised discriminator, Adam 4e-4 / 1e-4 with β = (0, 0.9)): on the
package's DCGAN, whose critic is two convolutions deep at 28×28, that
set-up learned far more slowly than every other preset (MNIST-feature
FID 120 against 88–104 after 1500 generator steps, 100 against 52–61
after 3000), and the spectral-norm ablation in `benchmarks/RESULTS.md`
traced it to the normalisation, not to the loss. Spectral normalisation
stays available for deeper critics: `dcgan(..., spectral_norm=True)`.
"""

import dataclasses

import keras

from keras_gan_losses import losses as losses_module
from keras_gan_losses import penalties as penalties_module


@dataclasses.dataclass(frozen=True)
class Preset:
    """A named training set-up for one GAN objective.

    Attributes:
        name (str): The preset's name.
        d_loss (str): Discriminator loss name (see `keras_gan_losses.losses`).
        g_loss (str): Generator loss name.
        penalties (tuple[tuple, ...]): Tuple of `(penalty name, weight)`
            pairs, or `(penalty name, weight, keyword pairs)` triples.
        d_learning_rate (float): Discriminator Adam learning rate.
        g_learning_rate (float): Generator Adam learning rate.
        beta_1 (float): Adam β₁.
        beta_2 (float): Adam β₂.
        d_steps (int): Discriminator updates per generator update.
        spectral_norm (bool): Whether the discriminator should use spectral
            normalisation.
        d_outputs (int): Outputs of the discriminator: 1 (a logit), or
            the number of features of an MMD critic.
        loss_kwargs (tuple[tuple[str, object], ...]): Keyword arguments of
            both loss classes, as `(name, value)` pairs (e.g. the MMD
            kernel); none for the losses' defaults.
        reference (str): Where the settings come from.
    """

    name: str
    d_loss: str
    g_loss: str
    penalties: tuple = ()
    d_learning_rate: float = 2e-4
    g_learning_rate: float = 2e-4
    beta_1: float = 0.5
    beta_2: float = 0.999
    d_steps: int = 1
    spectral_norm: bool = False
    reference: str = ""
    d_outputs: int = 1
    loss_kwargs: tuple = ()

    def compile_kwargs(self):
        """Fresh `GAN.compile` arguments (new optimiser instances)."""
        return {
            "d_optimizer": keras.optimizers.Adam(
                self.d_learning_rate, beta_1=self.beta_1, beta_2=self.beta_2
            ),
            "g_optimizer": keras.optimizers.Adam(
                self.g_learning_rate, beta_1=self.beta_1, beta_2=self.beta_2
            ),
            "d_loss": self._loss(self.d_loss, 0),
            "g_loss": self._loss(self.g_loss, 1),
            "penalties": [
                penalties_module.NAMES[name](
                    weight=weight, **dict(kwargs[0] if kwargs else ())
                )
                for name, weight, *kwargs in self.penalties
            ],
        }

    def _loss(self, name, index):
        if not self.loss_kwargs:
            return name
        return losses_module.NAMES[name][index](**dict(self.loss_kwargs))


PRESETS = {
    preset.name: preset
    for preset in (
        Preset("non_saturating", "non_saturating", "non_saturating",
               reference="Radford et al. 2015 (DCGAN)"),
        Preset("non_saturating_lecam", "non_saturating", "non_saturating",
               penalties=(("lecam", 0.3),),
               reference="Radford et al. 2015 (DCGAN) with Tseng et al. "
                         "2021's LeCam regularisation (weight 0.3, as "
                         "for BigGAN on limited data): `kgl train`'s "
                         "default"),
        Preset("minimax", "minimax", "minimax",
               reference="Goodfellow et al. 2014 (the loss), with DCGAN's "
                         "Adam rather than the paper's SGD"),
        Preset("least_squares", "least_squares", "least_squares",
               reference="Mao et al. 2017 (LSGAN)"),
        Preset("wasserstein_gp", "wasserstein", "wasserstein",
               penalties=(("gradient_penalty", 10.0),),
               d_learning_rate=1e-4, g_learning_rate=1e-4, beta_1=0.0,
               beta_2=0.9, d_steps=3,
               reference="Gulrajani et al. 2017 (WGAN-GP); 3 critic steps "
                         "as in the keras.io example"),
        Preset("hinge", "hinge", "hinge",
               reference="Lim & Ye 2017 (the hinge loss), with DCGAN's "
                         "Adam and no spectral normalisation: SAGAN's "
                         "set-up suits deeper critics"),
        Preset("relativistic_average", "relativistic_average",
               "relativistic_average",
               reference="Jolicoeur-Martineau 2018 (RaSGAN)"),
        Preset("mmd", "mmd", "mmd",
               penalties=(("witness_gradient_penalty", 1.0,
                           (("kernel", "rational_quadratic"),)),),
               d_learning_rate=2e-4, g_learning_rate=2e-4, beta_1=0.5,
               beta_2=0.9, d_steps=3, d_outputs=16,
               loss_kwargs=(("kernel", "rational_quadratic"),),
               reference="Bińkowski et al. 2018 (MMD GAN: unbiased MMD² "
                         "with the rational-quadratic kernel mixture "
                         "α = 0.2, 0.5, 1, 2, 5 on 16 critic features, "
                         "gradient penalty on the witness function), with "
                         "3 critic steps as the wasserstein_gp preset and "
                         "twice the paper's learning rate"),
    )
}


def get(name):
    """Returns the `Preset` called `name`.

    Raises:
        ValueError: naming the known presets, if there is none by that name.
    """
    if name not in PRESETS:
        raise ValueError(
            f"Unknown preset {name!r}. Known presets: {sorted(PRESETS)}"
        )
    return PRESETS[name]


__all__ = ["Preset", "PRESETS", "get"]
