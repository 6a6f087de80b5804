"""The work behind `kgl train`, `kgl sample` and `kgl evaluate`."""

import datetime
import json
import pathlib
import shutil
import tempfile

import keras
import numpy as np
import tensorflow as tf

import keras_gan_losses as kgl

#: Errors that are the user's to fix: printed as one line by `main`.
EXPECTED_ERRORS = (ValueError, OSError, kgl.data.DatasetUnavailableError)

#: Settings saved in `config.json` and restored by `--resume`.
SAVED_SETTINGS = ("data", "loss", "epochs", "batch_size", "latent_dim",
                  "image_size", "width", "d_steps", "ema", "conditional",
                  "mixed_precision", "jit", "strategy", "seed",
                  "steps_per_epoch", "fid_samples")


def run(args):
    return {"train": train, "sample": sample, "evaluate": evaluate}[
        args.command](args)


def say(*parts):
    print(*parts, flush=True)


# ----------------------------------------------------------------------
# train


def train(args):
    run_dir, args = _run_dir(args)
    keras.utils.set_random_seed(args.seed)
    if args.mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_float16")
    strategy = _strategy(args.strategy)
    dataset = kgl.data.load_images(
        _data_source(args.data), split="train", image_size=args.image_size,
        batch_size=args.batch_size, with_labels=args.conditional,
        seed=args.seed,
    )
    spec = dataset.element_spec
    image_shape = tuple((spec[0] if args.conditional else spec).shape[1:])
    num_classes = _num_classes(dataset) if args.conditional else None
    preset = kgl.presets.get(args.loss)
    with strategy.scope():
        generator, discriminator = kgl.architectures.dcgan(
            image_shape, latent_dim=args.latent_dim, num_classes=num_classes,
            spectral_norm=preset.spectral_norm, width=args.width,
        )
        gan = kgl.GAN(
            generator, discriminator, d_steps=args.d_steps or preset.d_steps,
            num_classes=num_classes, ema_decay=args.ema, seed=args.seed,
        )
        gan.compile(**preset.compile_kwargs(),
                    jit_compile=True if args.jit else "auto")
    chief = kgl.callbacks.chief.is_chief()
    out_dir = run_dir if chief else pathlib.Path(tempfile.mkdtemp())
    say(f"Training {args.loss} DCGAN on {args.data} {image_shape} for "
        f"{args.epochs} epochs; writing to {run_dir}/")
    callbacks = [
        kgl.callbacks.SampleGrid(out_dir / "samples", num_samples=64, seed=0),
        keras.callbacks.CSVLogger(str(out_dir / "history.csv"), append=True),
        kgl.callbacks.BackupAndRestore(str(run_dir / "backup")),
    ]
    gan.fit(dataset, epochs=args.epochs, callbacks=callbacks,
            steps_per_epoch=args.steps_per_epoch, shuffle=False,
            verbose=0 if args.quiet else "auto")
    gan.save(out_dir / "model.keras")
    gan.export_generator(out_dir / "generator_savedmodel")
    metrics = {}
    if args.fid_samples > 0:
        metrics = _final_fid(gan, args, image_shape)
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=2))
    if not chief:
        shutil.rmtree(out_dir, ignore_errors=True)
    say(f"Done. Samples: {run_dir}/samples/, model: {run_dir}/model.keras, "
        f"SavedModel: {run_dir}/generator_savedmodel/")
    return 0


def _run_dir(args):
    if args.resume:
        run_dir = pathlib.Path(args.resume)
        config = run_dir / "config.json"
        if not config.is_file():
            raise FileNotFoundError(
                f"--resume {run_dir}: no config.json there; is it a run "
                "directory written by `kgl train`?"
            )
        if (run_dir / "model.keras").is_file() and not (
            run_dir / "backup"
        ).exists():
            raise ValueError(
                f"--resume {run_dir}: that run has already finished "
                "(model.keras is written); start a new one with --out."
            )
        saved = json.loads(config.read_text())
        for key in SAVED_SETTINGS:
            if key in saved:
                setattr(args, key, saved[key])
        say(f"Resuming the run in {run_dir}/")
        return run_dir, args
    if args.out:
        run_dir = pathlib.Path(args.out)
    else:
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        run_dir = pathlib.Path("runs") / stamp
    if (run_dir / "config.json").exists():
        raise FileExistsError(
            f"{run_dir} already holds a run; use --resume {run_dir} to "
            "continue it or --out for a new directory."
        )
    run_dir.mkdir(parents=True, exist_ok=True)
    settings = {key: getattr(args, key) for key in SAVED_SETTINGS}
    (run_dir / "config.json").write_text(json.dumps(settings, indent=2))
    return run_dir, args


def _strategy(name):
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multi_worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    return tf.distribute.get_strategy()


def _data_source(source):
    path = pathlib.Path(source)
    if path.suffix == ".npy":
        if not path.is_file():
            raise FileNotFoundError(f"No such file: {source}")
        return np.load(path)
    return source


def _num_classes(dataset):
    names = getattr(dataset, "class_names", None)
    if names:
        return len(names)
    top = 0
    for _, labels in dataset.unbatch().batch(4096):
        top = max(top, int(tf.reduce_max(labels)))
    return top + 1


def _final_fid(gan, args, image_shape):
    if image_shape != (28, 28, 1):
        say("FID: skipped (the shipped extractor is for 28×28×1 images); "
            "run `kgl evaluate RUN_DIR --extractor inception`.")
        return {}
    extractor = kgl.metrics.mnist_extractor()
    real = kgl.data.load_images(
        _data_source(args.data), split="train", image_size=args.image_size,
        batch_size=256, shuffle=False, drop_remainder=False,
    ).unbatch().take(args.fid_samples).batch(256)
    real_features = kgl.metrics.compute_features(extractor, real)
    fake = gan.generate(len(real_features), seed=args.seed + 1)
    fake_features = kgl.metrics.compute_features(extractor, fake)
    fid = kgl.metrics.frechet_distance(real_features, fake_features)
    say(f"FID (shipped MNIST-classifier features, {len(fake_features)} "
        f"samples vs {args.data}; not comparable to Inception FID): "
        f"{fid:.3f}")
    return {"fid_mnist": fid, "fid_samples": len(fake_features)}


# ----------------------------------------------------------------------
# sample


def sample(args):
    source = pathlib.Path(args.source)
    if (source / "model.keras").is_file():
        gan = keras.models.load_model(source / "model.keras")
        images = gan.generate(args.num_samples, seed=args.seed)
        kgl.callbacks.save_grid(args.out, images, value_range=(-1.0, 1.0))
    else:
        saved = source
        if (source / "generator_savedmodel").is_dir():
            saved = source / "generator_savedmodel"
        if not (saved / "saved_model.pb").is_file():
            raise FileNotFoundError(
                f"{source}: neither a run directory (model.keras) nor a "
                "SavedModel (saved_model.pb)."
            )
        loaded = tf.saved_model.load(str(saved))
        if "sample" not in loaded.signatures:
            raise ValueError(
                f"{saved} has no `sample` signature; export it with "
                "GAN.export_generator(path)."
            )
        images = loaded.signatures["sample"](
            batch_size=tf.constant(args.num_samples),
            seed=tf.constant(args.seed, tf.int64),
        )["images"].numpy()
        kgl.callbacks.save_grid(args.out, images, value_range=(0, 255))
    say(f"Wrote {args.num_samples} samples to {args.out}")
    return 0


# ----------------------------------------------------------------------
# evaluate


def evaluate(args):
    run_dir = pathlib.Path(args.run_dir)
    model_path = run_dir / "model.keras"
    if not model_path.is_file():
        raise FileNotFoundError(f"{run_dir}: no model.keras; is it a run "
                                "directory written by `kgl train`?")
    config_path = run_dir / "config.json"
    config = json.loads(config_path.read_text()) if config_path.is_file() \
        else {}
    data = args.data or config.get("data")
    if data is None:
        raise ValueError("Pass --data: the run has no config.json.")
    gan = keras.models.load_model(model_path)
    extractor_name = args.extractor
    if extractor_name == "auto":
        extractor_name = "mnist" if gan.image_shape == (28, 28, 1) \
            else "inception"
    extractor = (kgl.metrics.mnist_extractor() if extractor_name == "mnist"
                 else kgl.metrics.inception_v3_extractor())
    real = kgl.data.load_images(
        _data_source(data), split=args.split,
        image_size=gan.image_shape[:2], batch_size=256, shuffle=False,
        drop_remainder=False,
    ).unbatch().take(args.num_samples).batch(256)
    real_features = kgl.metrics.compute_features(extractor, real)
    fake = gan.generate(len(real_features), seed=args.seed)
    fake_features = kgl.metrics.compute_features(extractor, fake)
    kid, kid_std = kgl.metrics.kernel_inception_distance(
        real_features, fake_features,
        subset_size=min(1000, len(real_features)),
    )
    results = {
        "fid": kgl.metrics.frechet_distance(real_features, fake_features),
        "kid": kid,
        "kid_std": kid_std,
        **kgl.metrics.precision_recall(real_features, fake_features),
        "num_samples": len(fake_features),
        "extractor": extractor_name,
        "data": str(data),
        "split": args.split,
    }
    say(f"{len(fake_features)} samples vs {data} ({args.split}), "
        f"{extractor_name} features:")
    for key in ("fid", "kid", "kid_std", "precision", "recall"):
        say(f"  {key:10s} {results[key]:.4f}")
    (run_dir / "evaluation.json").write_text(json.dumps(results, indent=2))
    return 0
