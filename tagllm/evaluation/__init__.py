"""Evaluation: metrics, the harness that scores a configuration against gold labels, reports, comparisons."""
