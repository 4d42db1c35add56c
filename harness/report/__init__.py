"""Report stage: statistics, aggregation of runs, and the terminal, Markdown and HTML reports."""
