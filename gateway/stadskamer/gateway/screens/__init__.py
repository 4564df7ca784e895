"""The screens served by the gateway: the KCC screen, the privacy officer's, the dashboards."""
