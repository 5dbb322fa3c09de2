"""An emulated EmberZNet NCP: UG101 ASH on a serial line, UG100 EZSP framing and commands, and an EmberZNet
behaviour model whose air side is the simulated medium. Written from the Silicon Labs documents; bellows (the host)
is what it is tested against, never what it is built from."""
