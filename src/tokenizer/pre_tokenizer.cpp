// Pre-tokenizer regexes (byte-level BPE); filled in with the BPE encoder.
