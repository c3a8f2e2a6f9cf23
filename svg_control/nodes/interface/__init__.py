"""What every node shares: topics, QoS, parameters and their table, message codecs, diagnostics, the node set."""
