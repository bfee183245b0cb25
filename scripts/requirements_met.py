"""Exit 0 when every requirement (and constraint) in a pip requirements file is installed in this Python, else
print the unmet ones and exit 1. Lets the set-up skip pip (seconds) when nothing is missing.

Run: python scripts/requirements_met.py requirement.txt
Only this file's own lines and its `-c` constraints files are read; other pip options make it answer 'unmet' so
that pip decides.
"""
import sys
from importlib import metadata
from pathlib import Path

try:
    from packaging.requirements import InvalidRequirement, Requirement
except ImportError:  # a fresh venv has pip's vendored copy even before `packaging` is installed
    from pip._vendor.packaging.requirements import InvalidRequirement, Requirement


def read_lines(path: Path):
    """(requirement lines, constraint files) of a requirements file; comments and blank lines dropped."""
    reqs, constraints = [], []
    for raw in path.read_text().splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-c"):
            constraints.append(path.parent / line[2:].strip())
        else:
            reqs.append(line)
    return reqs, constraints


def unmet(path: Path) -> list:
    """What is missing or at the wrong version, as short strings; [] when all is met."""
    reqs, constraint_files = read_lines(path)
    wanted = []
    for line in reqs + [c for f in constraint_files for c in read_lines(f)[0]]:
        if line.startswith("-"):
            return [f"pip option {line!r}: left to pip"]
        try:
            wanted.append(Requirement(line))
        except InvalidRequirement:
            return [f"unreadable line {line!r}: left to pip"]
    required = {r.name.lower() for r in wanted[:len(reqs)]}
    problems = []
    for r in wanted:
        if r.marker is not None and not r.marker.evaluate():
            continue
        try:
            version = metadata.version(r.name)
        except metadata.PackageNotFoundError:
            if r.name.lower() in required:  # a constraint alone does not ask for a package
                problems.append(f"{r.name} (not installed)")
            continue
        if r.specifier and not r.specifier.contains(version, prereleases=True):
            problems.append(f"{r.name} {version} (wants {r.specifier})")
    return problems


def main(argv) -> int:
    if len(argv) != 2:
        print("usage: python scripts/requirements_met.py REQUIREMENTS_FILE", file=sys.stderr)
        return 2
    problems = unmet(Path(argv[1]))
    if problems:
        print("; ".join(problems))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
