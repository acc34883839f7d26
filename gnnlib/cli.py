"""Command line: ``gnnlib run | datasets | report``."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from gnnlib.config import ConfigError, apply_overrides, from_dict, read_yaml

if TYPE_CHECKING:
    from gnnlib.eval.records import ResultRecord


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gnnlib", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="train and evaluate a config over seeds")
    run.add_argument("config", type=Path, help="YAML config (see experiments/)")
    run.add_argument("--seeds", type=_positive_int, help="run seeds 0..N-1 instead of the config's")
    run.add_argument("--device", default="auto", help="cpu, cuda, cuda:N or auto")
    run.add_argument("--out", type=Path, help="result folder (default runs/<config name>)")
    run.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config value, e.g. --set train.lr=0.005 (repeatable)",
    )

    commands.add_parser("datasets", help="list every dataset, its task and availability")

    report = commands.add_parser("report", help="markdown table of the records in a folder")
    report.add_argument("results", type=Path)

    zoo = commands.add_parser("zoo", help="model zoos of small trained networks (for GMN)")
    zoo_commands = zoo.add_subparsers(dest="zoo_command", required=True)
    zoo_build = zoo_commands.add_parser("build", help="train a zoo into a folder (resumable)")
    zoo_build.add_argument("--out", type=Path, required=True, help="zoo folder")
    zoo_build.add_argument("--size", type=int, default=200, help="number of training runs")
    zoo_build.add_argument("--seed", type=int, default=0, help="the zoo's seed")

    args = parser.parse_args(argv)
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "datasets":
            from gnnlib.data.catalog import format_table

            print(format_table())
            return 0
        if args.command == "zoo":
            from gnnlib.metanet.zoo import build_zoo

            print(build_zoo(args.out, args.size, args.seed))
            return 0
        from gnnlib.eval.report import render_report

        print(render_report(args.results))
        return 0
    except Exception as error:
        if not _said_what_to_fix(error):
            raise
        print(f"gnnlib {args.command}: error: {error}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    from gnnlib.eval.records import aggregate, save_aggregate
    from gnnlib.eval.report import render_report
    from gnnlib.tasks.registry import TASKS
    from gnnlib.train import get_logger, resolve_device

    raw = apply_overrides(read_yaml(args.config), args.overrides)
    task = raw.pop("task", None)
    if task not in TASKS:
        raise ConfigError(f"{args.config}: 'task' must be one of {sorted(TASKS)}, got {task!r}")
    schema, run_one = TASKS[task]
    config = from_dict(schema, raw)
    seeds = list(range(args.seeds)) if args.seeds is not None else config.seeds
    if not seeds:
        raise ConfigError(f"{args.config}: 'seeds' is empty, so there is nothing to run")
    config.seeds = seeds
    device = resolve_device(args.device)
    out = args.out or Path("runs") / args.config.stem
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out} is a file; results go into a folder")
    log = get_logger("gnnlib.run")
    log.info(
        "%s: task %s, seeds %s, device %s, results in %s", args.config, task, seeds, device, out
    )
    name = getattr(getattr(config, "data", None), "name", None)
    spelling = _catalogue_spelling(name) if isinstance(name, str) else None
    if spelling is not None and spelling != name:
        log.warning(
            "data.name %r is the catalogue's %r; records and paper numbers go by the name "
            "as written, so these results will not join those of %r runs",
            name,
            spelling,
            spelling,
        )

    # Every seed record already in the folder must come from this experiment, checked
    # before anything runs: the folder never mixes two experiments.
    finished = _experiment_records(out, schema, config)
    for seed in seeds:
        if seed in finished:
            log.info("seed %d: already finished, reusing its record in %s", seed, out)
        else:
            finished[seed] = run_one(config, seed, device, out / f"seed{seed}")
            finished[seed].save(out)
        log.info("seed %d: %s", seed, _summary(finished[seed].metrics))
    # The aggregate covers every seed of the experiment in the folder, so that seeds run
    # by separate processes (one per seed, side by side) add up. The folder is read
    # again now, as seeds of processes running beside this one may have finished since
    # it started, and under a lock, so that of two processes finishing together the
    # one that writes last has read the other's record.
    with _locked(out):
        finished = _experiment_records(out, schema, config)
        if len(finished) > len(seeds):
            log.info("aggregate of seeds %s (all in %s)", sorted(finished), out)
        save_aggregate(aggregate([finished[seed] for seed in sorted(finished)]), out)
    print(render_report(out))
    return 0


def _catalogue_spelling(name: str) -> str | None:
    """The catalogue's spelling of a dataset name; ``None`` for a name it does not hold
    (a model zoo, RingTransfer), which the task itself checks."""
    from gnnlib.data.catalog import catalogue_spelling

    try:
        return catalogue_spelling(name)
    except ValueError:
        return None


def _said_what_to_fix(error: Exception) -> bool:
    """Whether ``error``'s message alone tells the user what to fix (printed without a
    traceback); anything else is a bug, shown with its traceback."""
    if isinstance(error, (ConfigError, FileNotFoundError, ValueError)):
        return True
    # Imported here, not above: gnnlib.io loads torch, which the CLI defers.
    from gnnlib.io import UnreadableFileError

    return isinstance(error, UnreadableFileError)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a count >= 1, got {value}")
    return value


def _experiment_records(out: Path, schema: type, config: object) -> dict[int, ResultRecord]:
    """The seed records in ``out``, each checked to come from ``config``'s experiment.
    Every record file counts, whatever its name (``<method>__<dataset>[__<setting>]``):
    one of another method, dataset or setting is an error, not something to skip."""
    from gnnlib.eval.records import ResultRecord, record_files

    records = {}
    for path in record_files(out):
        record = ResultRecord.load(path)
        _check_same_config(schema, record.config, config, path)
        records[record.seed] = record
    return records


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``directory`` (released by the kernel if the process
    dies). Where there is no ``fcntl`` (Windows) nothing is locked, and two seeds that
    finish at the same moment may leave an aggregate without one of them until a rerun."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


def _check_same_config(schema: type, saved: dict, current: object, path: Path) -> None:
    # Seeds may differ (a rerun with more seeds), and fields added to the schema since
    # take their defaults; anything else must match, or the folder would mix results
    # of two different experiments.
    try:
        saved_config = from_dict(schema, saved)
    except ConfigError as error:
        raise ConfigError(f"{path} was written by an incompatible config ({error})") from None
    saved_config.seeds = current.seeds
    if saved_config != current:
        raise ConfigError(
            f"{path} was written by a different config; pass another --out or remove it"
        )


def _summary(metrics: dict[str, dict[str, float]]) -> str:
    return ", ".join(
        f"{split} {name} {value:.4f}"
        for split, values in metrics.items()
        for name, value in values.items()
    )


if __name__ == "__main__":
    sys.exit(main())
