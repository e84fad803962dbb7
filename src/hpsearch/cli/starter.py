"""``hpsearch init DATA --target COL``: write a commented sweep file inferred from the data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hpsearch.cli.app import Verbose, app, fail, make_console, setup_logging
from hpsearch.errors import BadInputError, HpsearchError


@app.command()
def init(
    data: Annotated[Path, typer.Argument(help="The table: .csv or .parquet.")],
    target: Annotated[str, typer.Option(help="The column to predict.")],
    output: Annotated[Path, typer.Option(help="Where to write the sweep file.")] = Path(
        "sweep.yaml"
    ),
    name: Annotated[str | None, typer.Option(help="The sweep's name (default: the file's).")] = (
        None
    ),
    force: Annotated[bool, typer.Option(help="Overwrite an existing output file.")] = False,
    verbose: Verbose = False,
) -> None:
    """Write a sweep file for DATA: task, metric, families and id column inferred from the
    data, each with the reason in a comment. Then: hpsearch check OUTPUT."""
    setup_logging(verbose)
    from hpsearch.prepare.starter import starter_sweep
    from hpsearch.store.files import write_text_atomic

    try:
        if output.exists() and not force:
            raise BadInputError(
                f"{output} exists; init never overwrites a sweep file. Fix: pass another "
                "--output, or --force to replace it."
            )
        starter = starter_sweep(data=data, target=target, output=output, name=name)
        write_text_atomic(output, starter.text)
    except HpsearchError as exc:
        raise fail(exc) from None
    console = make_console()
    console.print(
        f"wrote {output}: {starter.task}, primary metric {starter.primary}, families "
        f"{', '.join(starter.families)}"
        + (f", id column {starter.id_column}" if starter.id_column else ""),
        markup=False,
    )
    console.print(f"next: hpsearch check {output}, then hpsearch run {output}", markup=False)
