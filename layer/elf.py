"""Read the target CPU of an ELF shared object from its header (no third-party tools)."""

from pathlib import Path

ELF_MAGIC = b"\x7fELF"
# e_machine values from the ELF specification, named as Lambda names the architectures.
ELF_MACHINES = {62: "x86_64", 183: "arm64"}


def elf_machine(data: bytes) -> int:
    """Return the e_machine field of an ELF header given the file's first bytes (>= 20)."""
    if len(data) < 20 or data[:4] != ELF_MAGIC:
        raise ValueError("not an ELF file")
    byteorder = "little" if data[5] == 1 else "big"
    return int.from_bytes(data[18:20], byteorder)


def elf_architecture(path: Path) -> str:
    """Return the Lambda architecture ("x86_64", "arm64") an ELF file was built for."""
    with path.open("rb") as handle:
        machine = elf_machine(handle.read(20))
    try:
        return ELF_MACHINES[machine]
    except KeyError:
        raise ValueError(f"{path}: ELF machine {machine} is neither x86-64 nor aarch64") from None
