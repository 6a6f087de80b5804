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

from keras_gan_losses import architectures
from keras_gan_losses import losses as losses_module
from keras_gan_losses import optimizers
from keras_gan_losses import penalties as penalties_module
from keras_gan_losses import schedules
from keras_gan_losses.architectures.r3gan import default_widths


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
        architecture (str): The networks: `"dcgan"` or `"r3gan"` (see
            `networks`).
        learning_rate_decay (float | None): With the run's length known,
            the learning rates follow a cosine to this share of their
            start (R3GAN: 0.25); `None` keeps them constant.
        final_beta_2 (float | None): Adam's β₂ at the end of a cosine
            from `beta_2` (R3GAN: 0.9 to 0.99); `None` keeps it constant.
        penalty_decay (float | None): The penalties' weights follow a
            cosine to this share of their start (R3GAN: 0.1).
        ema_half_life (float | None): Keep an EMA of the generator whose
            half-life grows on a cosine from 0 to this share of the
            run's images (R3GAN's schedule from 0); `None`: no EMA.
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
    architecture: str = "dcgan"
    learning_rate_decay: float = None
    final_beta_2: float = None
    penalty_decay: float = None
    ema_half_life: float = None

    def compile_kwargs(self, total_steps=None):
        """Fresh `GAN.compile` arguments (new optimiser instances).

        Args:
            total_steps (int | None): The run's generator steps, for the
                preset's schedules (learning rates, Adam's β₂, penalty
                weights); `None`: every value stays at its start.

        Returns:
            dict: `d_optimizer`, `g_optimizer`, `d_loss`, `g_loss` and
            `penalties`.
        """
        return {
            "d_optimizer": self._adam(self.d_learning_rate, total_steps),
            "g_optimizer": self._adam(self.g_learning_rate, total_steps),
            "d_loss": self._loss(self.d_loss, 0),
            "g_loss": self._loss(self.g_loss, 1),
            "penalties": [
                penalties_module.NAMES[name](
                    weight=_cosine(weight, self.penalty_decay, total_steps),
                    **dict(kwargs[0] if kwargs else ()),
                )
                for name, weight, *kwargs in self.penalties
            ],
        }

    def gan_kwargs(self, total_steps=None, batch_size=None):
        """`GAN` arguments of the preset: its EMA (R3GAN's half-life
        schedule, which needs the run's length and batch size).

        Returns:
            dict: `{"ema_decay": ...}`, or nothing without an EMA or
            without `total_steps` and `batch_size`.
        """
        if self.ema_half_life is None or not total_steps or not batch_size:
            return {}
        images = self.ema_half_life * total_steps * batch_size
        return {"ema_decay": schedules.HalfLifeDecay(
            schedules.CosineSchedule(0.0, images, total_steps), batch_size)}

    def networks(self, image_shape, latent_dim=64, num_classes=None,
                 width=32):
        """The preset's generator and discriminator for `image_shape`.

        `"dcgan"`: `architectures.dcgan` of that `width` (spectrally
        normalised and with `d_outputs` outputs as the preset says);
        `"r3gan"`: `architectures.r3gan` with one block per stage and
        its default widths times `width / 32`.

        Returns:
            tuple[keras.Model, keras.Model]: `(generator, discriminator)`.
        """
        if self.architecture == "r3gan":
            widths = [max(8, w * width // 32)
                      for w in default_widths(image_shape)]
            return architectures.r3gan(
                image_shape, latent_dim=latent_dim, widths=widths, blocks=1,
                num_classes=num_classes)
        return architectures.dcgan(
            image_shape, latent_dim=latent_dim, num_classes=num_classes,
            spectral_norm=self.spectral_norm, width=width,
            outputs=self.d_outputs)

    def _adam(self, learning_rate, total_steps):
        if self.final_beta_2 is None and self.learning_rate_decay is None:
            return keras.optimizers.Adam(
                learning_rate, beta_1=self.beta_1, beta_2=self.beta_2)
        beta_2 = self.beta_2
        if self.final_beta_2 is not None and total_steps:
            beta_2 = schedules.CosineSchedule(self.beta_2, self.final_beta_2,
                                              total_steps)
        return optimizers.Adam(
            _cosine(learning_rate, self.learning_rate_decay, total_steps),
            beta_1=self.beta_1, beta_2=beta_2)

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
        Preset("relativistic_pairing", "relativistic_pairing",
               "relativistic_pairing",
               penalties=(("r1", 0.1), ("r2", 0.1)),
               d_learning_rate=2e-3, g_learning_rate=2e-3, beta_1=0.0,
               beta_2=0.9, final_beta_2=0.99, learning_rate_decay=0.25,
               penalty_decay=0.1,
               reference="Huang et al. 2024 (R3GAN)'s objective and "
                         "schedules: the relativistic pairing loss with "
                         "R1 and R2 at one γ, Adam β₁ = 0, cosines over "
                         "the run for the learning rate, β₂, γ and the "
                         "EMA's half-life; on the DCGAN"),
        Preset("r3gan", "relativistic_pairing", "relativistic_pairing",
               penalties=(("r1", 0.1), ("r2", 0.1)),
               d_learning_rate=2e-4, g_learning_rate=2e-4, beta_1=0.0,
               beta_2=0.9, final_beta_2=0.99, learning_rate_decay=0.25,
               penalty_decay=0.1, ema_half_life=0.1, architecture="r3gan",
               reference="Huang et al. 2024 (R3GAN): the "
                         "relativistic_pairing preset on R3GAN's residual "
                         "networks, at CPU widths"),
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


#: The name of `kgl train`'s default preset (for a conditional GAN, which
#: it trains when the data has class labels).
DEFAULT = "non_saturating_lecam"
#: `kgl train`'s default preset for unlabelled data (or
#: `--unconditional`): R3GAN's objective on the DCGAN, which drew more
#: modes and better samples than `DEFAULT` at the same CPU time on
#: StackedMNIST and unconditional MNIST (`benchmarks/RESULTS.md`).
DEFAULT_UNCONDITIONAL = "relativistic_pairing"


def _cosine(value, decay, total_steps):
    """`value`, or a cosine from it to `decay · value` over the run."""
    if decay is None or not total_steps:
        return value
    return schedules.CosineSchedule(value, value * decay, total_steps)


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


__all__ = ["Preset", "PRESETS", "DEFAULT", "DEFAULT_UNCONDITIONAL", "get"]
