#!/usr/bin/env python
"""Why the `hinge` preset, when it was SAGAN's set-up, trailed the others
in `quality.py`: its loss, or its spectrally normalised critic and
learning rates?

Trains, exactly as `quality.py` does (same data, DCGAN width 64, budget,
seed and metrics), four variants next to the `non_saturating` preset:

- `hinge_sagan`: the former `hinge` preset: hinge loss, spectral norm,
  Adam 4e-4 / 1e-4 with β = (0, 0.9) as in SN-GAN and SAGAN;
- `hinge_no_sn`: the hinge loss with the DCGAN settings of the
  `non_saturating` preset (Adam 2e-4, β = (0.5, 0.999)), no spectral norm
  (the `hinge` preset now);
- `hinge_sn_dcgan_lr`: the hinge loss, spectral norm, DCGAN settings;
- `non_saturating_sn_ttur`: the non-saturating loss with the `hinge`
  preset's spectral norm and learning rates (4e-4 / 1e-4, β = (0, 0.9)).

Usage (resumable like `quality.py`; about 2 minutes per variant at 1500
steps on 2 cores; needs `../shared/data/mnist`):

    .venv/bin/python benchmarks/spectral_norm_ablation.py --steps 1500

Results go to `results/spectral_norm_ablation/`, and the table to the
`spectral_norm_ablation` section of `RESULTS.md`.
"""

import json
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import _common  # noqa: E402
import quality  # noqa: E402

RESULTS_DIR = _common.BENCH_DIR / "results" / "spectral_norm_ablation"
PRESET_RESULTS = quality.RESULTS_DIR

#: Variant name → Preset keyword arguments (d_loss, g_loss, ...).
VARIANTS = {
    "hinge_sagan": dict(
        d_loss="hinge", g_loss="hinge", d_learning_rate=4e-4,
        g_learning_rate=1e-4, beta_1=0.0, beta_2=0.9, spectral_norm=True),
    "hinge_no_sn": dict(d_loss="hinge", g_loss="hinge"),
    "hinge_sn_dcgan_lr": dict(d_loss="hinge", g_loss="hinge",
                              spectral_norm=True),
    "non_saturating_sn_ttur": dict(
        d_loss="non_saturating", g_loss="non_saturating",
        d_learning_rate=4e-4, g_learning_rate=1e-4, beta_1=0.0, beta_2=0.9,
        spectral_norm=True),
}


def main(argv=None):
    args = quality.parse_args(argv)
    if not quality.data_available(args.data):
        print(f"MNIST not found in {args.data}; skipping.")
        return
    import keras_gan_losses as kgl

    for name, kwargs in VARIANTS.items():
        kgl.presets.PRESETS[name] = kgl.presets.Preset(name, **kwargs)
    quality.RESULTS_DIR = RESULTS_DIR
    extractor = kgl.metrics.mnist_extractor()
    test_features = quality.real_features(args, extractor, "test")
    runs = [quality.train_preset(args, name, extractor, test_features)
            for name in VARIANTS]
    for name in ("non_saturating",):  # the preset, if measured
        path = PRESET_RESULTS / f"{quality.run_dir(args, name).name}.json"
        if path.exists():
            runs.append(json.loads(path.read_text()))
    report(runs, args)


def report(runs, args):
    runs = sorted(runs, key=lambda r: r["metrics"]["fid"])
    rows = [
        f"| {r['preset']} | {r['d_loss']} | "
        f"{'yes' if r['config']['spectral_norm'] else 'no'} | "
        f"{r['optimizers']['d_lr']:g} / {r['optimizers']['g_lr']:g}, "
        f"β = ({r['optimizers']['beta_1']:g}, "
        f"{r['optimizers']['beta_2']:g}) | "
        f"{r['metrics']['fid']:.1f} | {r['metrics']['precision']:.3f} | "
        f"{r['metrics']['recall']:.3f} | "
        f"{r['loss_history'][-1].get('d_real', float('nan')):.2f} |"
        for r in runs]
    body = f"""## Spectral-norm ablation (`benchmarks/spectral_norm_ablation.py`)

Reproduce: `.venv/bin/python benchmarks/spectral_norm_ablation.py --steps {args.steps}`

The `hinge` preset used to be SN-GAN's and SAGAN's set-up (`hinge_sagan`:
hinge loss, spectrally normalised critic, Adam 4e-4 / 1e-4 with
β = (0, 0.9)), and trailed the other presets in the quality table; it is
`hinge_no_sn` now. Same set-up as `quality.py`, {args.steps} generator
steps, one seed; *mean real logit* is the critic's mean output on real
images in the last epoch (the hinge margin is at +1).

| run | loss | SN critic | Adam (D / G lr, β) | FID ↓ | precision ↑ | recall ↑ | mean real logit |
|---|---|---|---|---:|---:|---:|---:|
{chr(10).join(rows)}

Reading (of the run of 2026-11-23; check it against the table after a
rerun): the loss is not the cause, since without spectral normalisation
the hinge loss does as well as the best presets; spectral normalisation of
this shallow critic (two convolutions and a dense layer) is: it slows the
non-saturating loss too, and keeps the critic's real logits near zero,
far from the hinge margin.
"""
    path = _common.update_section("spectral_norm_ablation", body)
    print(body)
    print(f"Wrote {path}")


if __name__ == "__main__":
    main()
