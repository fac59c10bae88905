"""Products (what deals include)."""

from __future__ import annotations

from typing import Final

from graph.model import Product
from graph.repositories.nodes import NodeRepository

products: Final = NodeRepository("Product", Product)
