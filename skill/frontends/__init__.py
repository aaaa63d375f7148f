"""The ways in: console, web page, Flask webservice, AWS Lambda, WSGI."""
