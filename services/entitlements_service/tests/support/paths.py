from pathlib import Path

SERVICE_DIR = Path(__file__).resolve().parents[2]
