"""The surveys service: satisfaction surveys, their analysis, improvements, research panel."""
