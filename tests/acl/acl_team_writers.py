def run(check, users):
    pass
