"""The resource budget: the memory and CPU one upload may use, derived from the function's memory
size and timeout, and the judgement of an upload against it (pure: numbers in, reasons out).

Memory: every accepted upload must peak under :data:`MEMORY_TARGET` of the memory size. The model
is a baseline (runtime, Python, boto3, Pillow), the downloaded object, and a cost per source pixel
by class: sources with any transparency (an alpha band from any decoder, ``A`` or ``a``, or a
transparent colour) cost far more than opaque ones, because WebP's lossless alpha encoder and the
alpha-carrying copies dominate. The costs are peaks measured by ``make hostile`` on the worst
content of each class (noise, EXIF orientation 6, progressive 4:4:4 JPEG), with a margin.

CPU: Lambda gives a function CPU in proportion to memory (one vCPU at 1769 MB), so an upload may
use ``timeout x share x CPU_MARGIN`` CPU seconds. The model is a cost per pixel by class
(decode, conversions, five encodes), a cost per 8x8 block per extra JPEG scan (libjpeg runs every
scan of a progressive JPEG over every block), and a cost per container segment (Pillow parses
each in Python). Costs were measured locally and inflated to cover slower cores.
"""

from __future__ import annotations

from dataclasses import dataclass

from function.structure import Structure

MEBIBYTE = 1024 * 1024
MEMORY_TARGET = 0.9
# Resident memory of the runtime, Python, boto3 and Pillow before any image is touched (~60 MB
# measured locally after importing the handler; the Lambda runtime adds its own), with room for
# the metadata copies Pillow keeps (at most MAX_METADATA_BYTES).
BASELINE_MB = 128
# Peak bytes per source pixel over the baseline and the download, measured by `make hostile` at
# 1024 MB (moto in the same process: an overestimate): an RGB progressive 4:4:4 noise JPEG with
# orientation 6, 17.7; CMYK the same, 11.3. The PNG thread (from 3538 MB) adds about a tenth
# (`make bench`): 19.5. Since the PNG deflate moved to ISA-L (about 9% more PNG bytes held while
# the other variants encode) the worst case at 512 MB under RLIMIT_AS came within 1% of the 90%
# target at 23, so 24 (a 31 MP photo still fits at 1024 MB: the default is 31.9 MP).
BYTES_PER_PIXEL = 24
# With transparency: a La (associated alpha) noise TIFF with orientation 6, 40.1; an RGBA PNG
# with noise alpha, 32.9. The PNG thread adds about a fifth to noise alpha: 49. 50 covers it.
ALPHA_BYTES_PER_PIXEL = 50
# Lambda allocates CPU in proportion to memory: 1769 MB is one vCPU (10240 MB, the most, is six).
MB_PER_VCPU = 1769
# The share of the timeout's CPU the model plans for: the rest is for the S3 transfers (wall time
# without CPU), a cold start and jitter.
CPU_MARGIN = 0.75
# CPU per source pixel of the whole handler (decode, convert, five encodes), measured locally on
# the same worst cases: 292 ns opaque, 306 with alpha; times 1.5 for slower cores than the ones
# measured on.
CPU_NS_PER_PIXEL = 450
ALPHA_CPU_NS_PER_PIXEL = 470
# One extra progressive JPEG scan costs libjpeg work on every 8x8 block even when it carries no
# data: 11.6 ns per block locally for a repeated AC refinement scan; the audit measured about 51
# on its machine; 60 is planned for.
CPU_NS_PER_SCAN_BLOCK = 60
# Scans a libjpeg default progression writes: 10 for colour (6 for grey), covered by the per
# pixel cost above.
USUAL_SCANS = 10
# No encoder writes more: libjpeg's progression has 10 scans, mozjpeg's scan search and
# Photoshop's 3-5 fewer; every one more costs a pass over the whole image.
MAX_JPEG_SCANS = 100
# Container segments Pillow parses one by one in Python and keeps (JPEG markers, PNG chunks,
# GIF sub-blocks, TIFF directory entries): about 5 us and 120 bytes of Python objects each, so
# this many cost at most 0.3 s and 8 MB. A PNG of 64 MiB written in 8 KiB IDAT chunks has 8,192.
MAX_SEGMENTS = 65_536
# Metadata bytes (EXIF, XMP, ICC, text and private chunks, GIF extensions): Pillow keeps a copy.
MAX_METADATA_BYTES = 16 * MEBIBYTE
# Junk between JPEG markers or GIF blocks: Pillow steps over it one byte per Python loop.
MAX_JUNK_BYTES = 64 * 1024
# TIFF directory values Pillow unpacks into Python tuples: a 16-bit palette has 196,608, the
# strip and tile tables two per strip or tile on top.
MAX_TIFF_TAG_VALUES = 262_144


@dataclass(frozen=True)
class ResourceBudget:
    """The memory and CPU one upload may use at a memory size (MB) and timeout (s)."""

    memory_mb: int
    timeout_s: int

    @property
    def memory_bytes(self) -> int:
        """The peak resident memory an upload may reach: 90% of the memory size."""
        return int(self.memory_mb * MEBIBYTE * MEMORY_TARGET)

    @property
    def vcpus(self) -> float:
        """The CPU share Lambda gives this memory size."""
        return self.memory_mb / MB_PER_VCPU

    @property
    def cpu_seconds(self) -> float:
        """The CPU seconds one upload may use: the timeout at the CPU share, times the margin."""
        return self.timeout_s * self.vcpus * CPU_MARGIN

    def describe_cpu(self) -> str:
        """How :attr:`cpu_seconds` is derived, for rejection reasons."""
        return (
            f"{self.cpu_seconds:.1f} s (TIMEOUT_SECONDS={self.timeout_s} at "
            f"{self.memory_mb} MB = {self.vcpus:.2f} vCPU, x{CPU_MARGIN})"
        )

    def max_pixels(self, max_input_bytes: int, *, alpha: bool) -> int:
        """The most source pixels that fit both the memory and the CPU budget."""
        per_pixel = ALPHA_BYTES_PER_PIXEL if alpha else BYTES_PER_PIXEL
        room = self.memory_bytes - BASELINE_MB * MEBIBYTE - max_input_bytes
        by_memory = max(0, room) // per_pixel
        by_cpu = int(self.cpu_seconds * 1e9 / pixel_cost_ns(alpha=alpha))
        return min(by_memory, by_cpu)

    def estimated_cpu_seconds(
        self, pixels: int, structure: Structure | None, *, alpha: bool
    ) -> float:
        """The model's CPU seconds for an upload of ``pixels`` with ``structure``."""
        nanoseconds = pixels * pixel_cost_ns(alpha=alpha)
        if structure is not None:
            extra_scans = max(0, structure.scans - USUAL_SCANS)
            nanoseconds += extra_scans * structure.blocks * CPU_NS_PER_SCAN_BLOCK
        return nanoseconds / 1e9

    def cost_problem(self, pixels: int, structure: Structure | None, *, alpha: bool) -> str | None:
        """Why an upload of ``pixels`` (after the pixel limits) would not fit the CPU budget, or
        ``None``."""
        estimate = self.estimated_cpu_seconds(pixels, structure, alpha=alpha)
        if estimate <= self.cpu_seconds:
            return None
        scans = ""
        if structure is not None and structure.scans > USUAL_SCANS:
            scans = f" and {structure.scans} JPEG scans"
        return (
            f"too costly: {pixels} pixels{scans} need an estimated {estimate:.1f} s of CPU, "
            f"over the budget of {self.describe_cpu()}"
        )


def pixel_cost_ns(*, alpha: bool) -> int:
    """The model's CPU nanoseconds per source pixel."""
    return ALPHA_CPU_NS_PER_PIXEL if alpha else CPU_NS_PER_PIXEL


def structure_problem(structure: Structure) -> str | None:
    """Why the container's structure alone is out of bounds, or ``None``: limits that hold at
    any memory size (segments, metadata, junk, scans, JPEG data against its frame, TIFF tables).
    """
    kind = structure.container
    if structure.capped or structure.segments > MAX_SEGMENTS:
        return (
            f"{kind} has over {MAX_SEGMENTS} segments (markers, chunks or blocks the decoder "
            "parses one by one): over the limit"
        )
    if structure.metadata_bytes > MAX_METADATA_BYTES:
        return (
            f"{kind} carries {structure.metadata_bytes} bytes of metadata, over the limit of "
            f"{MAX_METADATA_BYTES}"
        )
    if structure.junk_bytes > MAX_JUNK_BYTES:
        return (
            f"{kind} has {structure.junk_bytes} junk bytes between its segments, over the limit "
            f"of {MAX_JUNK_BYTES}"
        )
    if structure.scans > MAX_JPEG_SCANS:
        return f"JPEG has {structure.scans} scans, over the limit of {MAX_JPEG_SCANS}"
    if structure.coding in ("arithmetic", "hierarchical"):
        return (
            f"{structure.coding}-coded JPEG is not accepted: its data cannot be checked against "
            "its declared size"
        )
    if structure.entropy_bytes < structure.min_entropy_bytes:
        return (
            f"JPEG scan data missing: {structure.entropy_bytes} bytes of entropy-coded data "
            f"where its declared frame needs at least {structure.min_entropy_bytes}"
        )
    if structure.data_units > structure.max_data_units:
        return (
            f"TIFF lists {structure.data_units} strips or tiles where its geometry has "
            f"{structure.max_data_units}"
        )
    if structure.tag_values > MAX_TIFF_TAG_VALUES:
        return (
            f"TIFF directory holds {structure.tag_values} values, over the limit of "
            f"{MAX_TIFF_TAG_VALUES}"
        )
    return None
