"""The operators' console of the reference platform: login, terminals at a glance, alerts,
remote commands, 好差评 work orders and the audit trail. Server-rendered HTML, no JS build."""
