"""Run store stage: trials and runs on disk, written atomically, keyed by what determines them."""
