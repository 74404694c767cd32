"""`lab images`: build, list, save and load the lab's images (no registry needed)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from lab.cli import context
from lab.cli.context import console
from lab.images import build_images, image_specs, load_images, save_images
from lab.images.build import image_present

app = typer.Typer(help="Build, list, save and load the lab's images.", no_args_is_help=True)


@app.command()
def build(
    force: bool = typer.Option(False, "--force", help="Rebuild even images whose inputs are unchanged."),
    only: list[str] = typer.Option([], "--only", help="Build just these images (and missing parents)."),
) -> None:
    """Build every missing image; unchanged inputs rebuild nothing."""
    settings = context.settings()
    known = image_specs(settings.root)
    unknown = [name for name in only if name not in known]
    if unknown:
        raise typer.BadParameter(f"unknown image {unknown[0]!r}; images: {', '.join(known)}", param_hint="--only")
    with console.status("building images") as spinner:
        built = build_images(settings, only=only or None, force=force, status=lambda m: spinner.update(m))
    console.print(f"built {len(built)} image(s)" if built else "every image is up to date")


@app.command("list")
def list_() -> None:
    """Each image, its content-hash tag, and whether it is built."""
    table = Table("image", "ref", "built")
    for spec in image_specs(context.settings().root).values():
        table.add_row(spec.name, spec.ref, "yes" if image_present(spec.ref) else "[yellow]no[/]")
    console.print(table)


@app.command()
def save(file: Path = typer.Argument(..., help="The tarball to write.")) -> None:
    """Write every lab image into one tarball (for machines without a registry)."""
    with console.status(f"saving images to {file}"):
        refs = save_images(context.settings(), file)
    console.print(f"saved {len(refs)} images to {file} ({file.stat().st_size / 1024**2:.0f} MiB)")


@app.command()
def load(file: Path = typer.Argument(..., help="A tarball made by `lab images save`.")) -> None:
    """Load the lab's images from a tarball made by `lab images save`."""
    with console.status(f"loading images from {file}"):
        refs = load_images(context.settings(), file)
    console.print(f"loaded {len(refs)} images")
