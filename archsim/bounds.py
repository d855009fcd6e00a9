"""The bounds every input of one kind shares, wherever it is given (a CLI option, a spec field,
a checkpoint's metadata): one number per kind, so a value refused in one place is refused in all.
"""

SEED_BOUND = 2**63  # seeds lie in [0, 2**63): torch.manual_seed takes no larger, numpy no negative
MAX_IMAGE_SIDE = 1024  # pixels a side after padding (`--pad-to`, `input_size`): 1024x1024 is
# already 16,384x the 8x8 digits per image; larger images are not what a crossbar study runs
MAX_LR = 10.0  # a learning rate above this diverges on every net and optimizer archsim trains
MAX_FILE_BYTES = 64 << 20  # a YAML, JSON or CSV input larger than this is refused unread
MAX_NESTING = 64  # levels of nested lists / mappings in a YAML or JSON input
