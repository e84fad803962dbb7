"""The sweep directory: paths, typed state, the durable trial record, lineage, listing."""
