"""Channel-first LSTM with a residual skip (EnCodec's SLSTM, BigCodec's ResLSTM)."""

from __future__ import annotations

from torch import Tensor, nn


class SLSTM(nn.Module):
    """x: (B, C, T) -> (B, C, T). Unidirectional by default, so it keeps a causal stack causal.

    With `bidirectional`, each direction has C // 2 units so the output width stays C.
    """

    def __init__(self, dim: int, num_layers: int = 2, skip: bool = True, bidirectional: bool = False) -> None:
        super().__init__()
        if bidirectional and dim % 2:
            raise ValueError(f"SLSTM: bidirectional needs an even width, got dim={dim}")
        hidden = dim // 2 if bidirectional else dim
        self.lstm = nn.LSTM(dim, hidden, num_layers, batch_first=True, bidirectional=bidirectional)
        self.skip = skip

    def forward(self, x: Tensor) -> Tensor:
        seq = x.transpose(1, 2)
        y, _ = self.lstm(seq)
        if self.skip:
            y = y + seq
        return y.transpose(1, 2)
