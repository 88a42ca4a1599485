"""What a run keeps on disk: the sample and result records (``records``), the durable,
resumable JSONL store they are appended to and read back from (``store``), and the
candidates JSONL that ``bestofn verify`` reads (``candidate_file``). Nothing here
samples, verifies or decides; every other part of the sampler reads and writes through it."""
