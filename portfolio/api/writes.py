"""Write operations for staff: milestone progress."""
from __future__ import annotations
