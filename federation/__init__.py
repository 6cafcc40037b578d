"""Federation: inbound activities into content changes, content changes into deliveries."""
