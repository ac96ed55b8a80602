"""The quickstart's app: a shop whose checkout charges a card through a payments API."""
