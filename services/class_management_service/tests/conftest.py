from pathlib import Path

SERVICE_DIR = Path(__file__).parents[1]
