def name():
    return "alpha"
