"""Storefront app: catalogue, search, reviews, promotions and orders."""
