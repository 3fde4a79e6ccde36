"""Instructor grading: hand-in, one-command grading, feedback and class analytics (see docs/grading.md)."""
