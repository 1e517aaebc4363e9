from gxns.alpha import name as _alpha


def names():
    return [_alpha(), "beta"]
