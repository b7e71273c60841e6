"""Helpdesk: tickets, comments and exports for support teams."""
