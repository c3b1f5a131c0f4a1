"""HuleEdu contracts."""
