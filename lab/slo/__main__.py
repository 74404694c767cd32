"""`python -m lab.slo`: regenerate prometheus/rules/slo.rules.yml from prometheus/slos.yaml."""

from __future__ import annotations

from pathlib import Path

from lab.slo import load_slos, render_rules, slo_path


def rules_path(root: Path) -> Path:
    return root / "prometheus" / "rules" / "slo.rules.yml"


def main() -> None:
    root = Path(__file__).resolve().parents[2]
    target = rules_path(root)
    target.write_text(render_rules(load_slos(slo_path(root))))
    print(f"wrote {target.relative_to(root)}")


if __name__ == "__main__":
    main()
