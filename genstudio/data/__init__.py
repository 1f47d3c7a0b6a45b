"""Dataset readers. Data is read from a path (default ../shared/datasets), never from the repository."""
