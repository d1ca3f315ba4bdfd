# Omnihub: one image for API nodes and workers (the command picks the role).
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm install --omit=dev --no-audit --no-fund
COPY . .
EXPOSE 4000
ENTRYPOINT ["node", "bin/omnihub.js"]
CMD ["api"]
