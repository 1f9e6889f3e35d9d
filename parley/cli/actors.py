"""`parley actors`: the registry, and the names the ingested corpus uses that it does not know."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from parley.actors.registry import ActorRegistry
from parley.core.settings import Settings
from vectorstore.docstore import DocStore


def cmd_actors(args: argparse.Namespace, settings: Settings) -> int:
    """List the registry and the names the ingested corpus uses that it does not know yet."""
    registry = ActorRegistry.load(settings)
    articles = DocStore(settings.articles_dir).all()
    found = registry.discover(articles)
    limit = getattr(args, "limit", 30) or 30
    if getattr(args, "json", False):
        print(json.dumps({
            "actors": [a.model_dump() for a in registry.actors.values()],
            "unknown": [d._asdict() for d in found[:limit]],
            "articles": len(articles),
        }, indent=2, ensure_ascii=False))
        return 0
    for a in registry.actors.values():
        people = ", ".join(m.name for m in a.members) or "-"
        print(f"{a.id:22} {a.kind:12} {a.name}: {len(a.aliases)} aliases; members: {people}")
    print(f"\nnames in {len(articles)} ingested articles the registry does not know"
          f" (add them to {Path(settings.data_dir) / 'actors.yaml'}):")
    for d in found[:limit]:
        print(f"  {d.count:4}  {d.name}  ({', '.join(d.sources[:3])}{' …' if len(d.sources) > 3 else ''})")
    if not found:
        print("  (none)")
    return 0
