"""HuleEdu service infrastructure."""
